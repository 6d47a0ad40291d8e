using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Api.Dto;
using Berth.Engine;
using Berth.Engine.Events;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Routes;

/// <summary><c>/_ping</c>, <c>/version</c>, <c>/info</c>, <c>/system/df</c>, <c>/events</c>.</summary>
internal static class SystemRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/_ping", ["GET", "HEAD"], Ping);
        app.MapGet("/version", Version);
        app.MapGet("/info", Info).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapGet("/system/df", DiskUsage).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapGet("/events", Events);
        app.MapPost("/auth", Auth).RequireRateLimiting(ApiServer.EnginePolicy);
    }

    internal static BerthEngine Engine(this HttpContext ctx) => ctx.RequestServices.GetRequiredService<BerthEngine>();

    private static async Task Ping(HttpContext ctx)
    {
        ctx.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        ctx.Response.Headers.Pragma = "no-cache";
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            ctx.Response.ContentLength = 0;
            return;
        }
        ctx.Response.ContentLength = 2;
        await ctx.Response.WriteAsync("OK", ctx.RequestAborted);
    }

    private static Task Version(HttpContext ctx) => ctx.WriteJsonAsync(ctx.Engine().Version(), EngineJsonContext.Default.SystemVersion);

    /// <summary>The engine's info, and the fields dockerd has that clients read: ID, SystemTime, Swarm (the CLI's
    /// generic inspect checks LocalNodeState), Plugins, RegistryConfig.</summary>
    private static async Task Info(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var info = JsonSerializer.SerializeToNode(engine.Info(), EngineJsonContext.Default.SystemInfo)!.AsObject();
        info["ID"] = DaemonId(engine);
        info["SystemTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        info["Debug"] = false;
        info["ExperimentalBuild"] = false;
        info["IndexServerAddress"] = "https://index.docker.io/v1/";
        info["Labels"] = new JsonArray();
        info["LiveRestoreEnabled"] = true;
        info["Isolation"] = "";
        info["Plugins"] = new JsonObject
        {
            ["Volume"] = new JsonArray("local"), ["Network"] = new JsonArray("host", "null"), ["Authorization"] = null,
            ["Log"] = new JsonArray("json-file"),
        };
        info["RegistryConfig"] = new JsonObject
        {
            ["InsecureRegistryCIDRs"] = new JsonArray("127.0.0.0/8"), ["IndexConfigs"] = new JsonObject(), ["Mirrors"] = new JsonArray(),
        };
        info["Swarm"] = new JsonObject
        {
            ["NodeID"] = "", ["NodeAddr"] = "", ["LocalNodeState"] = "inactive", ["ControlAvailable"] = false, ["Error"] = "", ["RemoteManagers"] = null,
        };
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(JsonSerializer.SerializeToUtf8Bytes(info, ApiJsonContext.Default.JsonObject)), ctx.RequestAborted);
    }

    /// <summary>A stable ID for this installation (dockerd's engine ID): kept in the store root.</summary>
    private static string DaemonId(BerthEngine engine)
    {
        var path = Path.Combine(engine.Options.Root, "engine-id");
        try
        {
            if (File.Exists(path)) return File.ReadAllText(path).Trim();
            var id = Guid.NewGuid().ToString();
            var tmp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(tmp, id);
            File.Move(tmp, path, overwrite: false);
            return id;
        }
        catch (IOException)
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        }
    }

    private static async Task DiskUsage(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var now = DateTimeOffset.UtcNow;
        var images = engine.Images.DiskUsage();
        var containers = engine.Containers.List().Select(r => Summaries.Container(engine.Containers, r, now, size: true)).ToList();
        var used = engine.Containers.List().SelectMany(r => Berth.Engine.Containers.ContainerService.ConfigOf(r).Mounts)
            .Where(m => m.Type == "volume").GroupBy(m => m.Name!).ToDictionary(g => g.Key, g => g.Count());
        var volumes = engine.Volumes.List().Select(v =>
        {
            var data = engine.Volumes.DataPathOf(v.Name);
            return Volume(engine, v) with
            {
                UsageData = new VolumeUsage(Directory.Exists(data) ? Storage.Snapshots.DiskUsage.Measure(data) : 0, used.GetValueOrDefault(v.Name)),
            };
        }).ToList();
        var cache = engine.Builds.Usage();
        await ctx.WriteJsonAsync(new SystemDfResponse
        {
            LayersSize = images.ImagesSize,
            Images = images.Images.Select(i => Summaries.Image(i.View, i.Containers, i.SharedSize)).ToList(),
            Containers = containers,
            Volumes = volumes,
            BuilderSize = cache.Size,
        }, ApiJsonContext.Default.SystemDfResponse);
    }

    internal static VolumeResponse Volume(BerthEngine engine, Storage.Metadata.VolumeRow v)
    {
        var inspect = engine.Volumes.Inspect(v);
        return new VolumeResponse
        {
            Name = inspect.Name, Mountpoint = inspect.Mountpoint, CreatedAt = inspect.CreatedAt, Labels = inspect.Labels, Options = inspect.Options,
            Driver = inspect.Driver, Scope = inspect.Scope,
        };
    }

    /// <summary><c>GET /events</c>: past events (since/until) and, without until, new ones as they come, one JSON
    /// object per line, flushed each.</summary>
    private static async Task Events(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var now = DateTimeOffset.UtcNow;
        var since = ctx.Query("since") is { Length: > 0 } s ? DockerTime.Parse(s, now) : (DateTimeOffset?)null;
        var until = ctx.Query("until") is { Length: > 0 } u ? DockerTime.Parse(u, now) : (DateTimeOffset?)null;
        var filters = ctx.Filters();
        foreach (var key in filters.Keys)
            if (!EventFilter.Keys.Contains(key)) throw BerthException.Invalid($"invalid filter '{key}'");
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ct);
        await ctx.Response.Body.FlushAsync(ct);
        try
        {
            // dockerd streams until until, or forever: follow unless until is given.
            await foreach (var e in engine.Events.ReadAsync(since, until, new EventFilter(filters), follow: until is null || until > now, ct))
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(e, EventJsonContext.Default.EngineEvent);
                await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client stopped listening, or the daemon is stopping: the stream ends.
        }
    }

    /// <summary><c>POST /auth</c>: checks the credentials against the registry through the engine's registry client
    /// and stores nothing (the client keeps them); 200 "Login Succeeded", or 401 with the registry's words.</summary>
    private static async Task Auth(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.AuthConfigBody, new AuthConfigBody());
        var credentials = RegistryAuth.From(body) ?? throw BerthException.Invalid("username and password are required");
        await ctx.Engine().Images.CheckCredentialsAsync(string.IsNullOrEmpty(body.ServerAddress) ? null : body.ServerAddress, credentials, TimeProvider.System, ctx.RequestAborted);
        await ctx.WriteJsonAsync(new AuthResponse("Login Succeeded", ""), ApiJsonContext.Default.AuthResponse);
    }
}
