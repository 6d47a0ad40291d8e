using System.Globalization;
using System.Text.Json;
using Berth.Api.Dto;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Api.Routes;

/// <summary>dockerd's create body → the engine's <see cref="ContainerRequest"/>, the same request the CLI's flags
/// make, so a container created either way is the same container.</summary>
internal static class ContainerRequests
{
    public static ContainerRequest From(ContainerCreateBody body, string? name, ApiVersion version)
    {
        if (string.IsNullOrEmpty(body.Image)) throw BerthException.Invalid("config cannot be empty in order to create a container");
        var h = body.HostConfig ?? new HostConfigBody();
        var binds = (h.Binds ?? []).Select(BindSyntax.Parse).ToList();
        var mounts = (h.Mounts ?? []).Select(Mount).ToList();
        // Config.Volumes: an anonymous volume at each path no bind or mount already covers.
        var targets = binds.Concat(mounts).Select(m => m.Target).ToHashSet(StringComparer.Ordinal);
        foreach (var path in body.Volumes?.Keys ?? Enumerable.Empty<string>())
            if (!targets.Contains(path)) binds.Add(BindSyntax.Parse(path));
        var restart = h.RestartPolicy is { Name: { Length: > 0 } policy } && policy != "no"
            ? RestartPolicy.Parse(policy == "on-failure" && h.RestartPolicy.MaximumRetryCount > 0
                ? policy + ":" + h.RestartPolicy.MaximumRetryCount.ToString(CultureInfo.InvariantCulture) : policy)
            : null;
        var (network, endpoint, more) = Networks(h.NetworkMode, body.NetworkingConfig, version);
        return new ContainerRequest
        {
            Image = body.Image,
            IPv4Address = endpoint.IPv4Address,
            IPv6Address = endpoint.IPv6Address,
            MacAddress = endpoint.MacAddress ?? Empty(body.MacAddress),
            Name = string.IsNullOrEmpty(name) ? null : name.TrimStart('/'),
            Cmd = Strings(body.Cmd, "Cmd"),
            Entrypoint = Strings(body.Entrypoint, "Entrypoint") is { } ep ? ep is [""] ? [] : ep : null,
            Env = body.Env ?? [],
            WorkingDir = Empty(body.WorkingDir),
            User = Empty(body.User),
            Hostname = Empty(body.Hostname),
            Domainname = Empty(body.Domainname),
            Labels = body.Labels ?? new Dictionary<string, string>(),
            Tty = body.Tty,
            OpenStdin = body.OpenStdin,
            StopSignal = Empty(body.StopSignal),
            StopTimeout = body.StopTimeout,
            Healthcheck = body.Healthcheck is { } hc
                ? new Berth.Oci.HealthConfig
                {
                    Test = hc.Test is { Count: > 0 } test ? test : null, Interval = hc.Interval ?? 0, Timeout = hc.Timeout ?? 0,
                    StartPeriod = hc.StartPeriod ?? 0, StartInterval = hc.StartInterval ?? 0, Retries = hc.Retries ?? 0,
                }
                : null,
            AutoRemove = h.AutoRemove,
            Init = h.Init ?? false,
            Binds = binds,
            Mounts = mounts,
            Tmpfs = h.Tmpfs ?? new Dictionary<string, string>(),
            VolumesFrom = h.VolumesFrom ?? [],
            ReadOnly = h.ReadonlyRootfs,
            Network = network,
            NetworkAliases = endpoint.Aliases,
            MoreNetworks = more,
            Expose = [.. (body.ExposedPorts ?? []).Keys],
            Publish = PublishOf(h.PortBindings),
            PublishAll = h.PublishAllPorts,
            Memory = Positive(h.Memory),
            MemorySwap = h.MemorySwap == 0 ? null : h.MemorySwap,
            NanoCpus = Positive(h.NanoCpus),
            CpuShares = h.CpuShares > 0 ? (ulong)h.CpuShares : null,
            PidsLimit = h.PidsLimit is > 0 or -1 ? h.PidsLimit : null,
            CapAdd = h.CapAdd ?? [],
            CapDrop = h.CapDrop ?? [],
            Privileged = h.Privileged,
            SecurityOpt = h.SecurityOpt ?? [],
            ExtraHosts = h.ExtraHosts ?? [],
            Dns = h.Dns ?? [],
            DnsSearch = h.DnsSearch ?? [],
            DnsOptions = h.DnsOptions ?? [],
            Ulimits = (h.Ulimits ?? []).Select(u => Validated(new Ulimit(u.Name ?? "", u.Soft, u.Hard))).ToList(),
            ShmSize = Positive(h.ShmSize),
            Sysctls = h.Sysctls ?? new Dictionary<string, string>(),
            GroupAdd = h.GroupAdd ?? [],
            OomScoreAdj = h.OomScoreAdj == 0 ? null : h.OomScoreAdj,
            Restart = restart,
            PidMode = Mode(h.PidMode),
            IpcMode = h.IpcMode is "private" or "shareable" ? "" : Mode(h.IpcMode),
            UtsMode = Mode(h.UTSMode),
            Devices = (h.Devices ?? []).Select(d => Validated(new DeviceMapping(d.PathOnHost ?? "", string.IsNullOrEmpty(d.PathInContainer) ? d.PathOnHost ?? "" : d.PathInContainer,
                string.IsNullOrEmpty(d.CgroupPermissions) ? "rwm" : d.CgroupPermissions))).ToList(),
            CpusetCpus = Empty(h.CpusetCpus),
            CpusetMems = Empty(h.CpusetMems),
            CpuPeriod = h.CpuPeriod > 0 ? (ulong)h.CpuPeriod : null,
            CpuQuota = Positive(h.CpuQuota),
            MemoryReservation = Positive(h.MemoryReservation),
            MemorySwappiness = h.MemorySwappiness is >= 0 and <= 100 ? (ulong)h.MemorySwappiness : h.MemorySwappiness is null or -1 ? null
                : throw BerthException.Invalid($"invalid value: {h.MemorySwappiness}, valid memory swappiness range is 0-100"),
            OomKillDisable = h.OomKillDisable ?? false,
            BlkioWeight = h.BlkioWeight == 0 ? null : h.BlkioWeight,
            BlkioWeightDevice = (h.BlkioWeightDevice ?? []).Select(d => new WeightDevice(d.Path ?? "", d.Weight)).ToList(),
            BlkioDeviceReadBps = Throttles(h.BlkioDeviceReadBps),
            BlkioDeviceWriteBps = Throttles(h.BlkioDeviceWriteBps),
            BlkioDeviceReadIOps = Throttles(h.BlkioDeviceReadIOps),
            BlkioDeviceWriteIOps = Throttles(h.BlkioDeviceWriteIOps),
            LogConfig = h.LogConfig is { Type: { Length: > 0 } type } lc ? new LogConfig { Type = type, Config = lc.Config ?? new Dictionary<string, string>() }
                : new LogConfig { Config = h.LogConfig?.Config ?? new Dictionary<string, string>() },
        };
    }

    private static List<ThrottleDevice> Throttles(List<ThrottleDeviceBody>? list) => (list ?? []).Select(d => new ThrottleDevice(d.Path ?? "", d.Rate)).ToList();

    private static Ulimit Validated(Ulimit u) { u.Validate(); return u; }

    private static DeviceMapping Validated(DeviceMapping d) { d.Validate(); return d; }

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static long? Positive(long v) => v > 0 ? v : null;

    private static string Mode(string? m) => m is null or "" or "private" ? "" : m;

    /// <summary>Cmd and Entrypoint: a list of strings, or (API &lt; 1.25 clients) one string, split as a shell would
    /// not: dockerd's strslice takes a lone string as one element.</summary>
    private static IReadOnlyList<string>? Strings(JsonElement e, string field) => e.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => [e.GetString()!],
        JsonValueKind.Array => e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()!
            : throw BerthException.Invalid($"{field}: expected strings")).ToList(),
        _ => throw BerthException.Invalid($"{field}: expected a string or a list of strings"),
    };

    /// <summary>An API Mount object as the engine's typed mount; dockerd's words for a type it does not know.</summary>
    private static MountRequest Mount(MountBody m)
    {
        var kind = (m.Type ?? "volume") switch
        {
            "bind" => MountKind.Bind,
            "volume" => MountKind.Volume,
            "tmpfs" => MountKind.Tmpfs,
            var other => throw BerthException.Invalid($"invalid mount config for type \"{other}\": mount type unknown"),
        };
        return new MountRequest
        {
            Type = kind,
            Source = m.Source ?? "",
            Target = m.Target ?? "",
            ReadOnly = m.ReadOnly,
            BindOptions = m.BindOptions is { } b ? new BindMountOptions { Propagation = Empty(b.Propagation) } : null,
            VolumeOptions = m.VolumeOptions is { } v ? new VolumeMountOptions { NoCopy = v.NoCopy } : null,
            TmpfsOptions = m.TmpfsOptions is { } t
                ? new TmpfsMountOptions { SizeBytes = t.SizeBytes > 0 ? t.SizeBytes : null, Mode = t.Mode > 0 ? (uint)t.Mode : null }
                : null,
        };
    }
    /// <summary>The networks to join: HostConfig.NetworkMode's with its EndpointsConfig entry (the docker CLI and
    /// compose name the same network in both; with no NetworkMode, the first entry's network, as dockerd ends up on
    /// the networks EndpointsConfig names), then every other entry in the body's order (eth1, …). "default" is the
    /// engine's default network (docker's bridge), as the CLI's --network. Before API 1.44 dockerd refuses more than
    /// one entry (400).</summary>
    private static (string Network, EndpointRequest Endpoint, List<NetworkEndpointRequest> More) Networks(
        string? mode, NetworkingConfigBody? networking, ApiVersion version)
    {
        var endpoints = (networking?.EndpointsConfig ?? []).ToList();
        if (endpoints.Count > 1 && version < new ApiVersion(1, 44))
            throw BerthException.Invalid($"Container cannot be created with multiple network endpoints: {string.Join(", ", endpoints.Select(e => e.Key))}");
        var network = string.IsNullOrEmpty(mode) ? "default" : mode;
        var index = endpoints.FindIndex(e => e.Key == network);
        // An entry under another name than NetworkMode's: the first network when NetworkMode is the default, or
        // NetworkMode's own when it is the only one (a client naming the network by ID in one place, name in the other).
        if (index < 0 && endpoints.Count > 0 && (network == "default" || endpoints.Count == 1))
        {
            index = 0;
            if (network == "default") network = endpoints[0].Key;
        }
        var endpoint = index < 0 ? new EndpointRequest() : Endpoint(endpoints[index].Value);
        var more = endpoints.Where((_, i) => i != index)
            .Select(e => new NetworkEndpointRequest { Network = e.Key, Endpoint = Endpoint(e.Value) }).ToList();
        return (network, endpoint, more);
    }

    /// <summary>An EndpointSettings object's Aliases, IPAMConfig addresses and MacAddress.</summary>
    private static EndpointRequest Endpoint(JsonElement settings)
    {
        string? Text(JsonElement? e, string field) =>
            e is { } o && Property(o, field) is { ValueKind: JsonValueKind.String } v && v.GetString() is { Length: > 0 } text ? text : null;
        var ipam = Property(settings, "IPAMConfig");
        return new EndpointRequest
        {
            Aliases = Property(settings, "Aliases") is { ValueKind: JsonValueKind.Array } aliases
                ? aliases.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()
                : [],
            IPv4Address = Text(ipam, "IPv4Address"),
            IPv6Address = Text(ipam, "IPv6Address"),
            MacAddress = Text(settings, "MacAddress"),
        };
    }

    /// <summary>HostConfig.PortBindings as the CLI's <c>-p</c> specs (<c>[IP:][HOSTPORT:]PORT/PROTO</c>); an IPv6
    /// host address is left out (berth publishes on IPv4, as docker without its userland proxy).</summary>
    private static List<string> PublishOf(Dictionary<string, List<PortBindingBody>?>? bindings)
    {
        var specs = new List<string>();
        foreach (var (port, list) in bindings ?? [])
        {
            var slash = port.IndexOf('/');
            var (number, proto) = slash < 0 ? (port, "tcp") : (port[..slash], port[(slash + 1)..]);
            foreach (var b in list ?? [])
            {
                string ip = b.HostIp ?? "", hostPort = b.HostPort ?? "";
                if (ip.Contains(':', StringComparison.Ordinal)) continue;
                specs.Add((ip.Length > 0 ? $"{ip}:{hostPort}:" : hostPort.Length > 0 ? $"{hostPort}:" : "") + $"{number}/{proto}");
            }
        }
        return specs;
    }

    /// <summary>A member of a JSON object by name, case-insensitively as Go's encoding/json reads dockerd's bodies.</summary>
    internal static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        foreach (var p in element.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }
}
