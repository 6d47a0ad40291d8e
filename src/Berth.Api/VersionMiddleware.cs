using Berth.Engine;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Api;

/// <summary>dockerd's version handling and common headers: a <c>/vX.Y</c> prefix is checked against
/// <see cref="ApiVersion.Minimum"/> and <see cref="ApiVersion.Current"/> and removed before routing (an unversioned
/// path is the current version); every response carries <c>Api-Version</c>, <c>Docker-Experimental</c>,
/// <c>Ostype</c> and <c>Server</c>; and every failure becomes <c>{"message":…}</c> with its status.</summary>
internal static class VersionMiddleware
{
    public const string VersionItem = "berth.api-version";

    /// <summary>This build's Server header: made once (the stamp reads the executable's attributes and its file).</summary>
    private static readonly string s_server = $"berth/{SystemVersion.Stamp().Version} (linux)";

    /// <summary>dockerd's headers on every answer, errors included (<see cref="ErrorMapping.WriteAsync"/> sets them
    /// again after clearing what a failed handler had begun): clients read the version from any of them.</summary>
    public static void SetCommonHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers["Api-Version"] = ApiVersion.Current.ToString();
        headers["Docker-Experimental"] = "false";
        headers["Ostype"] = "linux";
        headers["Server"] = s_server;
    }

    public static async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        SetCommonHeaders(ctx.Response);
        var path = ctx.Request.Path.Value ?? "/";
        var version = ApiVersion.Current;
        if (path.Length > 2 && path[1] == 'v' && char.IsAsciiDigit(path[2]))
        {
            var end = path.IndexOf('/', 1);
            var text = end < 0 ? path[2..] : path[2..end];
            if (ApiVersion.TryParse(text, out var v))
            {
                if (v > ApiVersion.Current)
                {
                    await ErrorMapping.WriteAsync(ctx, StatusCodes.Status400BadRequest, $"client version {v} is too new. Maximum supported API version is {ApiVersion.Current}");
                    return;
                }
                if (v < ApiVersion.Minimum)
                {
                    await ErrorMapping.WriteAsync(ctx, StatusCodes.Status400BadRequest,
                        $"client version {v} is too old. Minimum supported API version is {ApiVersion.Minimum}, please upgrade your client to a newer version");
                    return;
                }
                version = v;
                ctx.Request.Path = end < 0 ? "/" : path[end..];
            }
        }
        ctx.Items[VersionItem] = version;
        try
        {
            await next(ctx);
            // Compat: dockerd answers a known path asked with another method as an unknown one (its router's
            // MethodNotAllowedHandler is its NotFoundHandler); the routing's own 405 has no body at all.
            if (ctx.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !ctx.Response.HasStarted)
                await ErrorMapping.WriteAsync(ctx, StatusCodes.Status404NotFound, "page not found");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception e)
        {
            var (status, message) = ErrorMapping.Classify(e);
            var log = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("berth.api");
            if (status >= 500) log.LogError(e, "Handler for {Method} {Path} returned error: {Message}", ctx.Request.Method, path, message);
            else log.LogDebug("Handler for {Method} {Path} returned error: {Message}", ctx.Request.Method, path, message);
            await ErrorMapping.WriteAsync(ctx, status, message);
        }
    }
}
