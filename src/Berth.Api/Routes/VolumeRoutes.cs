using Berth.Api.Dto;
using Berth.Engine.Containers;
using Berth.Engine.Volumes;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Berth.Api.Routes;

/// <summary><c>/volumes/…</c>: berth's local volumes.</summary>
internal static class VolumeRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/volumes").RequireRateLimiting(ApiServer.EnginePolicy);
        g.MapGet("", List);
        g.MapPost("/create", Create);
        g.MapPost("/prune", Prune);
        g.MapGet("/{name}", Inspect);
        g.MapDelete("/{name}", Remove);
    }

    private static string Name(HttpContext ctx) => (string)ctx.Request.RouteValues["name"]!;

    private static async Task List(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var filters = ctx.Filters();
        var volumes = engine.Volumes.List().AsEnumerable();
        foreach (var (key, values) in filters)
        {
            if (values.Count == 0) continue;
            volumes = key switch
            {
                "name" => volumes.Where(v => values.Any(n => v.Name.Contains(n, StringComparison.Ordinal))),
                // Compat: label terms must all hold, as dockerd's (filters.MatchKVList).
                "label" => volumes.Where(v => values.All(l => ContainerService.LabelMatches(VolumeService.LabelsOf(v), l))),
                "driver" => volumes.Where(_ => values.Contains("local")),
                "dangling" => DanglingFilter(engine, volumes, values),
                _ => throw BerthException.Invalid($"invalid filter '{key}'"),
            };
        }
        await ctx.WriteJsonAsync(new VolumeListResponse(volumes.Select(v => SystemRoutes.Volume(engine, v)).ToList(), []), ApiJsonContext.Default.VolumeListResponse);
    }

    private static IEnumerable<Storage.Metadata.VolumeRow> DanglingFilter(Engine.BerthEngine engine, IEnumerable<Storage.Metadata.VolumeRow> volumes, IReadOnlyList<string> values)
    {
        var used = engine.Containers.List().SelectMany(r => Engine.Containers.ContainerService.ConfigOf(r).Mounts)
            .Where(m => m.Type == "volume").Select(m => m.Name).ToHashSet();
        var dangling = values.Any(v => ParseBool(v, "dangling"));
        return volumes.Where(v => used.Contains(v.Name) != dangling);
    }

    private static async Task Create(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.VolumeCreateBody, new VolumeCreateBody());
        if (body.Driver is { Length: > 0 } d && d != "local") throw BerthException.NotFound($"error looking up volume plugin {d}: plugin \"{d}\" not found");
        if (body.DriverOpts is { Count: > 0 }) throw BerthException.Invalid("berth's local volumes take no driver options");
        var name = string.IsNullOrEmpty(body.Name) ? Berth.Interop.KernelRandom.Hex(32) : body.Name;
        engine.Volumes.Ensure(name, anonymous: string.IsNullOrEmpty(body.Name), body.Labels);
        await ctx.WriteJsonAsync(SystemRoutes.Volume(engine, engine.Volumes.Get(name)), ApiJsonContext.Default.VolumeResponse, StatusCodes.Status201Created);
    }

    private static async Task Inspect(HttpContext ctx)
    {
        var engine = ctx.Engine();
        await ctx.WriteJsonAsync(SystemRoutes.Volume(engine, engine.Volumes.Get(Name(ctx))), ApiJsonContext.Default.VolumeResponse);
    }

    private static Task Remove(HttpContext ctx)
    {
        ctx.Engine().Volumes.Remove(Name(ctx), ctx.QueryBool("force"));
        ctx.NoContent();
        return Task.CompletedTask;
    }

    /// <summary>dockerd's filters: <c>all</c> (named volumes too; the default before API 1.42), <c>label</c> (every term
    /// holds) and <c>label!</c> (not every term holds).</summary>
    private static async Task Prune(HttpContext ctx)
    {
        var filters = ctx.Filters();
        var all = ctx.Version() < new ApiVersion(1, 42);
        foreach (var (key, values) in filters)
        {
            if (key is not ("all" or "label" or "label!")) throw BerthException.Invalid($"invalid filter '{key}'");
            if (key == "all") all = values.Any(v => ParseBool(v, "all"));
        }
        var labels = filters.GetValueOrDefault("label") ?? [];
        var notLabels = filters.GetValueOrDefault("label!") ?? [];
        var (removed, reclaimed) = ctx.Engine().Volumes.Prune(all, v => VolumeService.LabelsOf(v) is var l
            && labels.All(t => ContainerService.LabelMatches(l, t)) && (notLabels.Count == 0 || !notLabels.All(t => ContainerService.LabelMatches(l, t))));
        await ctx.WriteJsonAsync(new VolumesPruneResponse(removed.Count == 0 ? null : removed, reclaimed), ApiJsonContext.Default.VolumesPruneResponse);
    }

    /// <summary>A boolean filter value as dockerd reads one (strconv.ParseBool); anything else is a 400 naming it.</summary>
    private static bool ParseBool(string value, string key) => value switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw BerthException.Invalid($"invalid filter '{key}={value}'"),
    };
}
