using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>The docker <c>ps</c>/<c>inspect</c> status word: created, running, exited.</summary>
    public static string StatusText(ContainerRow row, DateTimeOffset now, Func<DateTimeOffset?, DateTimeOffset, string> ago) => row.Status switch
    {
        "running" => "Up " + Since(row.StartedAt, now),
        "exited" => $"Exited ({row.ExitCode}) {ago(row.FinishedAt, now)}",
        _ => "Created",
    };

    /// <summary>Docker's "Up 5 seconds" wording (go-units HumanDuration).</summary>
    public static string Since(DateTimeOffset? start, DateTimeOffset now)
    {
        var d = now - (start ?? now);
        var s = (int)d.TotalSeconds;
        if (s < 1) return "Less than a second";
        if (s == 1) return "1 second";
        if (s < 60) return $"{s} seconds";
        var m = (int)d.TotalMinutes;
        if (m == 1) return "About a minute";
        if (m < 60) return $"{m} minutes";
        var h = (int)Math.Round(d.TotalHours);
        if (h == 1) return "About an hour";
        if (h < 48) return $"{h} hours";
        return $"{(int)(d.TotalHours / 24)} days";
    }

    public ContainerInspect Inspect(ContainerRow row)
    {
        var config = ConfigOf(row);
        var request = config.Request;
        var dir = DirOf(row.Id);
        var running = row.Status == "running";
        return new ContainerInspect
        {
            Id = row.Id,
            Created = Iso(row.Created),
            Path = config.Args.FirstOrDefault() ?? "",
            Args = config.Args.Skip(1).ToList(),
            State = new ContainerStateJson
            {
                Status = StateOf(row),
                Running = running,
                Paused = IsPaused(row),
                OOMKilled = row.OomKilled,
                Pid = running ? row.Pid : 0,
                ExitCode = row.ExitCode,
                Error = row.Error ?? "",
                StartedAt = Iso(row.StartedAt),
                FinishedAt = Iso(row.FinishedAt),
                Health = HealthOf(row),
            },
            Image = row.ImageId,
            ResolvConfPath = Path.Combine(dir, "resolv.conf"),
            HostnamePath = Path.Combine(dir, "hostname"),
            HostsPath = Path.Combine(dir, "hosts"),
            // docker: no log file for the none driver.
            LogPath = request.LogConfig.Type == LogConfig.JsonFile ? LogPathOf(row.Id) : "",
            Name = "/" + row.Name,
            RestartCount = row.RestartCount,
            HostConfig = new HostConfigJson
            {
                Binds = request.Binds.Count > 0 ? request.Binds.Select(BindSyntax.Format).ToList() : null,
                VolumesFrom = request.VolumesFrom.Count > 0 ? request.VolumesFrom : null,
                LogConfig = new LogConfigJson { Type = request.LogConfig.Type, Config = new SortedDictionary<string, string>(request.LogConfig.Config.ToDictionary(), StringComparer.Ordinal) },
                NetworkMode = request.Network,
                PortBindings = PortBindingsOf(request),
                PublishAllPorts = request.PublishAll,
                AutoRemove = request.AutoRemove,
                CapAdd = request.CapAdd.Count > 0 ? request.CapAdd.Select(CapabilityName).ToList() : null,
                CapDrop = request.CapDrop.Count > 0 ? request.CapDrop.Select(CapabilityName).ToList() : null,
                Privileged = request.Privileged,
                ReadonlyRootfs = request.ReadOnly,
                SecurityOpt = request.SecurityOpt.Count > 0 ? request.SecurityOpt : null,
                Tmpfs = request.Tmpfs.Count > 0 ? request.Tmpfs : null,
                Memory = request.Memory ?? 0,
                MemorySwap = request.MemorySwap ?? (request.Memory is { } m ? 2 * m : 0),
                NanoCpus = request.NanoCpus ?? 0,
                CpuShares = (long)(request.CpuShares ?? 0),
                PidsLimit = request.PidsLimit,
                Init = request.Init ? true : null,
                ContainerIDFile = request.CidFile ?? "",
                RestartPolicy = (request.Restart ?? RestartPolicy.No) is var policy ? new RestartPolicyJson { Name = policy.Name, MaximumRetryCount = policy.MaximumRetryCount } : new(),
                Dns = request.Dns,
                DnsOptions = request.DnsOptions,
                DnsSearch = request.DnsSearch,
                ExtraHosts = request.ExtraHosts.Count > 0 ? request.ExtraHosts : null,
                GroupAdd = request.GroupAdd.Count > 0 ? request.GroupAdd : null,
                OomScoreAdj = request.OomScoreAdj ?? 0,
                PidMode = request.PidMode,
                IpcMode = request.IpcMode is { Length: > 0 } ipc ? ipc : "private",
                UTSMode = request.UtsMode,
                Devices = request.Devices.Select(d => new DeviceJson(d.PathOnHost, d.PathInContainer, d.CgroupPermissions)).ToList(),
                CpusetCpus = request.CpusetCpus ?? "",
                CpusetMems = request.CpusetMems ?? "",
                CpuPeriod = (long)(request.CpuPeriod ?? 0),
                CpuQuota = request.CpuQuota ?? 0,
                MemoryReservation = request.MemoryReservation ?? 0,
                MemorySwappiness = request.MemorySwappiness is { } swappiness ? (long)swappiness : null,
                OomKillDisable = request.OomKillDisable,
                BlkioWeight = request.BlkioWeight ?? 0,
                BlkioWeightDevice = request.BlkioWeightDevice.Select(d => new WeightDeviceJson(d.Path, d.Weight)).ToList(),
                BlkioDeviceReadBps = request.BlkioDeviceReadBps.Select(d => new ThrottleDeviceJson(d.Path, d.Rate)).ToList(),
                BlkioDeviceWriteBps = request.BlkioDeviceWriteBps.Select(d => new ThrottleDeviceJson(d.Path, d.Rate)).ToList(),
                BlkioDeviceReadIOps = request.BlkioDeviceReadIOps.Select(d => new ThrottleDeviceJson(d.Path, d.Rate)).ToList(),
                BlkioDeviceWriteIOps = request.BlkioDeviceWriteIOps.Select(d => new ThrottleDeviceJson(d.Path, d.Rate)).ToList(),
                ShmSize = request.ShmSize ?? 64L << 20,
                Ulimits = request.Ulimits.Select(u => new UlimitJson(u.Name, u.Hard, u.Soft)).ToList(),
                Sysctls = request.Sysctls.Count > 0 ? request.Sysctls : null,
                MaskedPaths = request.Privileged ? null : Berth.Runtime.Security.DockerDefaults.MaskedPaths,
                ReadonlyPaths = request.Privileged ? null : Berth.Runtime.Security.DockerDefaults.ReadonlyPaths,
            },
            GraphDriver = new GraphDriverJson
            {
                Data = new Dictionary<string, string>
                {
                    ["LowerDir"] = string.Join(':', config.LowerDirs),
                    ["MergedDir"] = Path.Combine(dir, "rootfs"),
                    ["UpperDir"] = Path.Combine(dir, "upper"),
                    ["WorkDir"] = Path.Combine(dir, "work"),
                },
            },
            Mounts = config.Mounts.Where(m => m.Type != "tmpfs").Select(m => new MountPointJson
            {
                Type = m.Type,
                Name = m.Name,
                Source = m.Source,
                Destination = m.Destination,
                Driver = m.Type == "volume" ? "local" : null,
                Mode = m.Type == "volume" ? "z" : m.ReadWrite ? "" : "ro",
                RW = m.ReadWrite,
                Propagation = m.Propagation,
            }).ToList(),
            Config = new ContainerConfigJson
            {
                Hostname = config.Hostname,
                Domainname = request.Domainname ?? "",
                User = config.User,
                AttachStdin = request.OpenStdin,
                AttachStdout = true,
                AttachStderr = true,
                ExposedPorts = config.ExposedPorts is { Count: > 0 } ports ? ports.ToDictionary(p => p, _ => new EmptyJson()) : null,
                Tty = request.Tty,
                OpenStdin = request.OpenStdin,
                StdinOnce = request.OpenStdin,
                Env = config.ConfigEnv ?? config.Env,
                Cmd = config.Cmd,
                Healthcheck = config.Healthcheck,
                Image = row.ImageName,
                Volumes = config.Mounts.Any(m => m.Type == "volume") ? config.Mounts.Where(m => m.Type == "volume").ToDictionary(m => m.Destination, _ => new EmptyJson()) : null,
                WorkingDir = config.Cwd == "/" && string.IsNullOrEmpty(request.WorkingDir) ? "" : config.Cwd,
                Entrypoint = config.Entrypoint is { Count: > 0 } e ? e : null,
                Labels = config.Labels,
                StopSignal = config.StopSignal,
                StopTimeout = request.StopTimeout,
            },
            NetworkSettings = NetworkSettingsOf(row, request.Network) with { Ports = PortsOf(row, config) },
        };
    }

    /// <summary>HostConfig.PortBindings: the <c>-p</c> requests as given (<c>""</c> for what was left out).</summary>
    private static Dictionary<string, IReadOnlyList<PortBindingJson>> PortBindingsOf(ContainerRequest request)
    {
        var map = new Dictionary<string, IReadOnlyList<PortBindingJson>>(StringComparer.Ordinal);
        foreach (var p in request.Publish.SelectMany(Berth.Network.Ports.PortSpec.Parse))
        {
            var binding = new PortBindingJson
            {
                HostIp = p.HostIp,
                HostPort = p.HostPortFirst == 0 ? "" : p.HostPortFirst == p.HostPortLast ? $"{p.HostPortFirst}" : $"{p.HostPortFirst}-{p.HostPortLast}",
            };
            map[p.Key] = [.. map.GetValueOrDefault(p.Key) ?? [], binding];
        }
        return map;
    }

    /// <summary>NetworkSettings.Ports: every exposed port, with its host bindings while the container runs (berth
    /// publishes on IPv4 only, as docker without its userland proxy).</summary>
    private Dictionary<string, IReadOnlyList<PortBindingJson>?> PortsOf(ContainerRow row, StoredContainerConfig config)
    {
        var map = new Dictionary<string, IReadOnlyList<PortBindingJson>?>(StringComparer.Ordinal);
        if (row.Status != "running") return map;
        foreach (var key in config.ExposedPorts ?? []) map[key] = null;
        foreach (var p in PublishedPorts(row))
            map[$"{p.ContainerPort}/{p.Protocol}"] = [.. map.GetValueOrDefault($"{p.ContainerPort}/{p.Protocol}") ?? [],
                new PortBindingJson { HostIp = p.HostIp.Length == 0 ? "0.0.0.0" : p.HostIp, HostPort = $"{p.HostPort}" }];
        return map;
    }

    /// <summary>The host ports a running container holds; none when it is not running.</summary>
    public IReadOnlyList<PortRow> PublishedPorts(ContainerRow row) => row.Status == "running" ? Store.Metadata.PortsOfContainer(row.Id) : [];

    /// <summary>NetworkSettings: one entry per network the container is connected to (running or not), with its
    /// address, gateway and MAC while it runs, its aliases (docker 20.10's: the user's, then the short ID, on user
    /// networks) and DNSNames (docker 25+); the top-level fields from its first network (docker fills them from the
    /// default bridge only).</summary>
    private NetworkSettingsJson NetworkSettingsOf(ContainerRow row, string networkName)
    {
        // A container sharing another's namespace has no endpoint of its own (docker: Networks {}).
        if (Berth.Engine.Networks.NetworkService.ContainerOf(networkName) is not null) return new NetworkSettingsJson();
        if (Berth.Engine.Networks.NetworkService.IsBuiltinMode(networkName))
            return new NetworkSettingsJson { Networks = new Dictionary<string, EndpointSettingsJson> { [networkName] = new() } };
        IReadOnlyList<(Berth.Storage.Metadata.AttachmentRow Attachment, Berth.Storage.Metadata.NetworkRow Network)> attached;
        try
        {
            attached = NetworksOf(row);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
            attached = []; // a network removed since: nothing to show for it
        }
        var endpoints = row.Status == "running" ? Store.Metadata.EndpointsOfContainer(row.Id) : [];
        var request = ConfigOf(row).Request;
        var networks = new Dictionary<string, EndpointSettingsJson>();
        EndpointSettingsJson? first = null;
        foreach (var (attachment, network) in attached)
        {
            var endpoint = endpoints.FirstOrDefault(e => e.NetworkId == network.Id);
            var prefix = int.Parse(network.Subnet[(network.Subnet.IndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var user = network.Name != Berth.Engine.Networks.NetworkService.DefaultNetwork;
            var prefix6 = network.Subnet6 is { } s6 ? int.Parse(s6[(s6.IndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            var (asked4, asked6) = attachment.IPv4Address is not null || attachment.IPv6Address is not null ? (attachment.IPv4Address, attachment.IPv6Address)
                : network.Name == request.Network ? (request.IPv4Address, request.IPv6Address) : (null, null);
            var settings = new EndpointSettingsJson
            {
                IPAMConfig = asked4 is null && asked6 is null ? null : new EndpointIpamConfigJson { IPv4Address = asked4, IPv6Address = asked6 },
                IPv6Gateway = endpoint?.Address6 is null ? "" : network.Gateway6 ?? "",
                GlobalIPv6Address = endpoint?.Address6 ?? "",
                GlobalIPv6PrefixLen = endpoint?.Address6 is null ? 0 : prefix6,
                Aliases = user ? [.. attachment.Aliases, row.Id[..12]] : null,
                NetworkID = network.Id,
                EndpointID = endpoint is null ? "" : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(network.Id + row.Id + row.PidStart))),
                Gateway = endpoint is null ? "" : network.Gateway,
                IPAddress = endpoint?.Address ?? "",
                IPPrefixLen = endpoint is null ? 0 : prefix,
                MacAddress = endpoint?.MacAddress ?? "",
                DNSNames = user ? Berth.Engine.Networks.NetworkService.DnsNames(row, request, attachment.Aliases) : null,
            };
            first ??= settings;
            networks[network.Name] = settings;
        }
        return new NetworkSettingsJson
        {
            Bridge = "",
            SandboxKey = endpoints.Count == 0 ? "" : $"/proc/{row.Pid}/ns/net",
            EndpointID = first?.EndpointID ?? "",
            Gateway = first?.Gateway ?? "",
            IPAddress = first?.IPAddress ?? "",
            IPPrefixLen = first?.IPPrefixLen ?? 0,
            IPv6Gateway = first?.IPv6Gateway ?? "",
            GlobalIPv6Address = first?.GlobalIPv6Address ?? "",
            GlobalIPv6PrefixLen = first?.GlobalIPv6PrefixLen ?? 0,
            MacAddress = first?.MacAddress ?? "",
            Networks = networks,
        };
    }

    /// <summary>docker stores capabilities by their full name: NET_ADMIN is CAP_NET_ADMIN; ALL stays ALL.</summary>
    private static string CapabilityName(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        return upper == "ALL" || upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
    }

    /// <summary><c>top</c>: the PIDs (host view) of every process in the container's cgroup.</summary>
    public IReadOnlyList<int> Processes(ContainerRow row)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"container {row.Id} is not running");
        var cgroup = CgroupManagers.For(CgroupLayout.Detect(), CgroupPathOf(row.Id));
        return cgroup.Processes();
    }

    /// <summary><c>top</c> and the Engine API's <c>GET /containers/{id}/top</c>: docker's titles and rows.</summary>
    public sealed record TopResult(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

    /// <summary>Runs the host's <c>ps</c> with <paramref name="psArgs"/> (default <c>-ef</c>) and keeps the rows whose
    /// PID is one of the container's, as dockerd does (daemon/top_unix.go): the container's PIDs go to ps as
    /// <c>-q PID,…</c> so options that select nothing by themselves (<c>-o pid,comm</c>) still list them, with one
    /// retry without it for options that cannot be combined with <c>-q</c> (the forest ones). The last column (the
    /// command) keeps its spaces; thread rows (PID "-", from <c>m</c>) follow their process.</summary>
    public TopResult Top(ContainerRow row, IReadOnlyList<string> psArgs)
    {
        IReadOnlyList<string> args = psArgs.Count == 0 ? ["-ef"] : psArgs;
        var renamed = System.Text.RegularExpressions.Regex.Match(" " + string.Join(' ', args), @"\s+(\S*)=\s*(PID\S*)");
        for (; renamed.Success; renamed = renamed.NextMatch())
            if (renamed.Groups[1].Value != "pid")
                throw BerthException.Invalid($"specifying \"{renamed.Groups[1].Value}={renamed.Groups[2].Value}\" is not allowed");

        var pids = Processes(row);
        var (exit, output, error) = RunPs([.. args, "-q" + string.Join(',', pids)]);
        if (exit != 0) (exit, output, error) = RunPs(args);
        if (exit != 0) throw BerthException.Invalid($"ps: {(error.Trim() is { Length: > 0 } e ? e : $"exit status {exit}")}");

        var wanted = pids.ToHashSet();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var titles = lines.Length > 0 ? lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var pidColumn = Array.IndexOf(titles, "PID");
        if (pidColumn < 0) throw BerthException.Invalid("Couldn't find PID field in ps output");
        var processes = new List<IReadOnlyList<string>>();
        var previousKept = false;
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= pidColumn) continue;
            bool keep;
            if (fields[pidColumn] == "-") keep = previousKept;
            else if (int.TryParse(fields[pidColumn], out var pid)) keep = previousKept = wanted.Contains(pid);
            else throw BerthException.Invalid($"Unexpected pid '{fields[pidColumn]}'");
            if (!keep) continue;
            if (fields.Length > titles.Length) fields = [.. fields[..(titles.Length - 1)], string.Join(' ', fields[(titles.Length - 1)..])];
            processes.Add(fields);
        }
        return new TopResult(titles, processes);

        static (int Exit, string Output, string Error) RunPs(IReadOnlyList<string> arguments)
        {
            var psi = new System.Diagnostics.ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in arguments) psi.ArgumentList.Add(a);
            using var ps = System.Diagnostics.Process.Start(psi)!;
            var errTask = ps.StandardError.ReadToEndAsync();
            var output = ps.StandardOutput.ReadToEnd();
            var error = errTask.GetAwaiter().GetResult();
            ps.WaitForExit();
            return (ps.ExitCode, output, error);
        }
    }
}
