using System.Text.Json;
using Berth.Engine;
using Berth.Api.Dto;
using Berth.Engine.Containers;
using Berth.Engine.Networks;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Berth.Api.Routes;

/// <summary><c>/networks/…</c>: berth's bridge networks and the built-in host and none, in dockerd's shapes
/// (a network's JSON is the same in the list and in inspect; the list leaves Containers empty, as dockerd).</summary>
internal static class NetworkRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/networks").RequireRateLimiting(ApiServer.EnginePolicy);
        g.MapGet("", List);
        g.MapPost("/create", Create);
        g.MapPost("/prune", Prune);
        g.MapGet("/{id}", Inspect);
        g.MapDelete("/{id}", Remove);
        g.MapPost("/{id}/connect", Connect);
        g.MapPost("/{id}/disconnect", Disconnect);
    }

    private static string Id(HttpContext ctx) => (string)ctx.Request.RouteValues["id"]!;

    private static NetworkService Service(HttpContext ctx) => ctx.Engine().Containers.Networks;

    private static Func<string, string?> ContainerName(HttpContext ctx)
    {
        var metadata = ctx.Engine().Store.Metadata;
        return id => metadata.GetContainer(id)?.Name;
    }

    private static async Task WriteAsync<T>(HttpContext ctx, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        ctx.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, type);
        await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ctx.RequestAborted);
    }

    private static async Task List(HttpContext ctx)
    {
        var filters = ctx.Filters();
        IEnumerable<NetworkInspect> networks = Service(ctx).List(_ => null).Select(n => n with { Containers = new Dictionary<string, NetworkContainer>() });
        var used = filters.ContainsKey("dangling") ? UsedNetworks(ctx) : [];
        foreach (var (key, values) in filters)
        {
            if (values.Count == 0) continue;
            networks = key switch
            {
                "name" => networks.Where(n => values.Any(v => n.Name.Contains(v, StringComparison.Ordinal))),
                "id" => networks.Where(n => values.Any(v => n.Id.StartsWith(v, StringComparison.Ordinal))),
                "driver" => networks.Where(n => values.Contains(n.Driver)),
                "label" => networks.Where(n => values.All(l => HasLabel(n, l))),
                "scope" => networks.Where(_ => values.Contains("local")),
                "type" => values.FirstOrDefault(v => v is not ("custom" or "builtin")) is { } bad
                    ? throw BerthException.Invalid($"invalid filter: 'type'='{bad}'")
                    : networks.Where(n => values.Contains(IsBuiltin(n.Name) ? "builtin" : "custom")),
                "dangling" => networks.Where(n => !IsBuiltin(n.Name) && used.Contains(n.Name) != values.Any(v => v is "true" or "1")),
                _ => throw BerthException.Invalid($"invalid filter '{key}'"),
            };
        }
        await WriteAsync(ctx, networks.ToList(), ContainerJsonContext.Default.ListNetworkInspect);
    }

    private static bool IsBuiltin(string name) => name is "bridge" or "host" or "none";

    private static bool HasLabel(NetworkInspect n, string filter) =>
        filter.Split('=', 2) is var kv && (kv.Length == 2 ? n.Labels.GetValueOrDefault(kv[0]) == kv[1] : n.Labels.ContainsKey(kv[0]));

    private static HashSet<string> UsedNetworks(HttpContext ctx) =>
        ctx.Engine().Containers.List().Select(r => ContainerService.ConfigOf(r).Request.Network).ToHashSet(StringComparer.Ordinal);

    private static async Task Inspect(HttpContext ctx) =>
        await WriteAsync(ctx, Service(ctx).Find(Id(ctx), ContainerName(ctx)), ContainerJsonContext.Default.NetworkInspect);

    /// <summary>201 with the new ID. Only what berth's bridge driver does is accepted: one IPv4 subnet and gateway,
    /// no ip-range, no IPv6, no IPAM driver other than the default; anything else is refused by name.</summary>
    private static async Task Create(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.NetworkCreateBody, new NetworkCreateBody());
        if (string.IsNullOrEmpty(body.Name)) throw BerthException.Invalid("network name cannot be empty");
        var ipam = body.IPAM ?? new NetworkIpamBody();
        if (ipam.Driver is { Length: > 0 } ipamDriver && ipamDriver != "default")
            throw new BerthException(ErrorKind.NotImplemented, $"IPAM driver \"{ipamDriver}\" is not supported: berth has the default IPAM driver only");
        if (body.ConfigOnly || body.Ingress) throw new BerthException(ErrorKind.NotImplemented, "config-only and ingress networks are not supported");
        var configs = ipam.Config ?? [];
        if (configs.Any(c => c.AuxiliaryAddresses is { Count: > 0 }))
            throw new BerthException(ErrorKind.NotImplemented, "IPAM AuxiliaryAddresses (--aux-address) are not supported yet");
        var row = Service(ctx).Create(new NetworkCreateRequest
        {
            Name = body.Name, Driver = string.IsNullOrEmpty(body.Driver) ? "bridge" : body.Driver,
            Subnets = [.. configs.Select(c => Empty(c.Subnet)).OfType<string>()],
            Gateways = [.. configs.Select(c => Empty(c.Gateway)).OfType<string>()],
            IpRanges = [.. configs.Select(c => Empty(c.IPRange)).OfType<string>()],
            EnableIPv6 = body.EnableIPv6 == true, Internal = body.Internal, Attachable = body.Attachable,
            Labels = body.Labels ?? [], Options = body.Options ?? [],
        });
        await ctx.WriteJsonAsync(new NetworkCreateResponse(row.Id, ""), ApiJsonContext.Default.NetworkCreateResponse, StatusCodes.Status201Created);
    }

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static Task Remove(HttpContext ctx)
    {
        var service = Service(ctx);
        var id = Id(ctx);
        var network = service.Find(id, _ => null);
        if (network.Name is "host" or "none") throw new BerthException(ErrorKind.PermissionDenied, $"{network.Name} is a pre-defined network and cannot be removed");
        service.Remove(network.Name == NetworkService.DefaultNetwork ? service.EnsureDefault() : service.Get(network.Id));
        ctx.NoContent();
        return Task.CompletedTask;
    }

    /// <summary>Filters: <c>label</c> (and <c>label!</c>), <c>until</c> (a timestamp or Go duration before now).</summary>
    private static async Task Prune(HttpContext ctx)
    {
        var filters = ctx.Filters();
        var now = DateTimeOffset.UtcNow;
        DateTimeOffset? until = null;
        foreach (var (key, values) in filters)
        {
            if (key == "until" && values.Count > 0) until = DockerTime.Parse(values[0], now);
            else if (key is not ("label" or "label!" or "until")) throw BerthException.Invalid($"invalid filter '{key}'");
        }
        var labels = filters.GetValueOrDefault("label") ?? [];
        var notLabels = filters.GetValueOrDefault("label!") ?? [];
        var removed = Service(ctx).Prune(n =>
            labels.All(l => HasLabel(n, l)) && !notLabels.Any(l => HasLabel(n, l))
            && (until is not { } u || DateTimeOffset.Parse(n.Created, System.Globalization.CultureInfo.InvariantCulture) < u));
        await ctx.WriteJsonAsync(new NetworksPruneResponse(removed.Count == 0 ? null : [.. removed]), ApiJsonContext.Default.NetworksPruneResponse);
    }

    /// <summary>POST /networks/{id}/connect: the engine's connect, with EndpointConfig's Aliases and IPAMConfig
    /// (<c>network connect --alias --ip --ip6</c>).</summary>
    private static async Task Connect(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.NetworkConnectBody, new NetworkConnectBody());
        if (string.IsNullOrEmpty(body.Container)) throw BerthException.Invalid("container is required");
        static string? Text(JsonElement? v) => v is { ValueKind: JsonValueKind.String } t && t.GetString() is { Length: > 0 } text ? text : null;
        var endpoint = body.EndpointConfig ?? default;
        var aliases = ContainerRequests.Property(endpoint, "Aliases") is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Select(v => Text(v)).OfType<string>().ToList() : [];
        var ipam = ContainerRequests.Property(endpoint, "IPAMConfig") ?? default;
        string? ipv4 = Text(ContainerRequests.Property(ipam, "IPv4Address")), ipv6 = Text(ContainerRequests.Property(ipam, "IPv6Address"));
        await ctx.Engine().Containers.ConnectNetworkAsync(Id(ctx), body.Container,
            new EndpointRequest { Aliases = aliases, IPv4Address = ipv4, IPv6Address = ipv6 }, ctx.RequestAborted);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>POST /networks/{id}/disconnect (Force as <c>network disconnect -f</c>).</summary>
    private static async Task Disconnect(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.NetworkConnectBody, new NetworkConnectBody());
        if (string.IsNullOrEmpty(body.Container)) throw BerthException.Invalid("container is required");
        await ctx.Engine().Containers.DisconnectNetworkAsync(Id(ctx), body.Container, body.Force, ctx.RequestAborted);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
    }
}
