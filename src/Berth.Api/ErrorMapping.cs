using System.Text.Json;
using Berth.Api.Dto;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.Api;

/// <summary>The one place where berth's error kinds become HTTP statuses (STYLE.md §6, moby's
/// <c>httpstatus.FromError</c>), and where every failure of a request becomes dockerd's body,
/// <c>{"message":"…"}</c>.</summary>
internal static class ErrorMapping
{
    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorKind.PermissionDenied => StatusCodes.Status403Forbidden,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.NotImplemented => StatusCodes.Status501NotImplemented,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The status and message for <paramref name="e"/>: berth's own kinds (a request body that is not JSON
    /// is one, see <see cref="HttpExtensions.ParseBody"/>), a body over the size bound (413), anything else 500.</summary>
    public static (int Status, string Message) Classify(Exception e) => e switch
    {
        BerthException b => (StatusOf(b.Kind), b.Message),
        BadHttpRequestException h => (h.StatusCode, h.Message),
        ArgumentException a => (StatusCodes.Status400BadRequest, a.Message),
        FormatException f => (StatusCodes.Status400BadRequest, f.Message),
        _ => (StatusCodes.Status500InternalServerError, e.Message),
    };

    /// <summary>Writes dockerd's error body, unless the response has started (a stream reports in-band).</summary>
    public static async Task WriteAsync(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        VersionMiddleware.SetCommonHeaders(ctx.Response);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        var body = HttpExtensions.WithNewline(JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(message), ApiJsonContext.Default.ErrorResponse));
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }
}
