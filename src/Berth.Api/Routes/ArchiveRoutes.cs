using System.Text.Json;
using Berth.Api.Dto;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Berth.Api.Routes;

/// <summary><c>HEAD/GET/PUT /containers/{id}/archive?path=…</c> (<c>docker cp</c>), over the engine's StatPath,
/// GetArchive and PutArchive, which resolve every path inside the container's root.</summary>
internal static class ArchiveRoutes
{
    private const string StatHeader = "X-Docker-Container-Path-Stat";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/containers/{id}/archive", ["HEAD"], Head).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapGet("/containers/{id}/archive", Get);
        app.MapPut("/containers/{id}/archive", Put);
    }

    private static string PathOf(HttpContext ctx) =>
        ctx.Query("path") is { Length: > 0 } p ? p : throw BerthException.Invalid("bad parameter: path cannot be empty");

    private static string StatValue(Engine.Containers.ContainerPathStat stat) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(stat, ApiJsonContext.Default.ContainerPathStat));

    private static Task Head(HttpContext ctx)
    {
        var service = ctx.Engine().Containers;
        var stat = service.StatPath(service.Resolve((string)ctx.Request.RouteValues["id"]!), PathOf(ctx));
        ctx.Response.Headers[StatHeader] = StatValue(stat);
        return Task.CompletedTask;
    }

    private static async Task Get(HttpContext ctx)
    {
        var service = ctx.Engine().Containers;
        var row = service.Resolve((string)ctx.Request.RouteValues["id"]!);
        var path = PathOf(ctx);
        // The stat first: a missing path is a 404 before any of the archive.
        ctx.Response.Headers[StatHeader] = StatValue(service.StatPath(row, path));
        ctx.Response.ContentType = "application/x-tar";
        var ct = ctx.StreamToken();
        await ctx.Response.StartAsync(ct);
        await HttpExtensions.RunLongAsync(() => service.GetArchive(row, path, ctx.Response.Body, ct));
    }

    private static async Task Put(HttpContext ctx)
    {
        ctx.UnboundedBody();
        var service = ctx.Engine().Containers;
        var row = service.Resolve((string)ctx.Request.RouteValues["id"]!);
        var path = PathOf(ctx);
        var copyUidGid = ctx.QueryBool("copyUIDGID");
        var ct = ctx.StreamToken();
        await HttpExtensions.RunLongAsync(() => service.PutArchive(row, path, ctx.Request.Body, copyUidGid, ct));
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentLength = 0;
    }
}
