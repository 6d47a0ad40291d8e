using System.Globalization;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Engine.Networks;
using Berth.Engine.Volumes;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    private readonly Dictionary<string, RuntimeSpec> _freshSpecs = [];

    /// <summary>dockerd's warnings for what a create or update asks that this host cannot do (its cgroups lack the
    /// control): <see cref="Create"/> and <see cref="Update"/> drop those settings; the front ends show the warnings
    /// (the Engine API's Warnings, the CLI's <c>WARNING:</c> lines). A value out of range is refused here already.</summary>
    public static IReadOnlyList<string> HostWarnings(ContainerRequest request) => BlockIO.CheckOnHost(BlockIOSettings.Of(request)).Warnings;

    /// <summary><c>create</c>: resolves the image, the mounts and the user, writes the bundle (config.json, hostname,
    /// hosts, resolv.conf, overlay dirs) and the row. Nothing runs yet. On any failure nothing is left behind.</summary>
    public ContainerRow Create(ContainerRequest request, CancellationToken ct)
    {
        var (row, held) = CreateLocked(request, ct);
        held.Dispose();
        return row;
    }

    /// <summary><see cref="Create"/>, returning the container's lock (<see cref="Storage.Store.LockContainer"/>) still
    /// held, taken before its record existed: <c>run</c> starts it holding that lock, so a concurrent <c>rm</c> waits
    /// for the start and finds the container running, never half started.</summary>
    public (ContainerRow Row, FileLock Lock) CreateLocked(ContainerRequest request, CancellationToken ct)
    {
        // Held from the image lookup to the row: garbage collection (exclusive) never sees a bundle without its row,
        // nor removes the image layers this container is about to use.
        using var gate = Store.LockShared(ct);
        if (!Images.TryResolve(request.Image, out var image))
        {
            var shown = ImageReference.TryParse(request.Image, out var r) && r!.Digest is null ? r.FamiliarName + (r.Tag is null ? ":latest" : "") : request.Image;
            throw BerthException.NotFound($"No such image: {shown}");
        }
        // Compat: docker generates a name for an empty --name, as for none.
        var wanted = request.Name is { Length: > 0 } given ? given : null;
        if (wanted is not null && !ValidName(wanted.TrimStart('/')))
            throw BerthException.Invalid($"Invalid container name ({wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (request.NanoCpus is { } nano && (nano < 0 || nano > HostOptions.CpuCount() * 1_000_000_000L))
            throw BerthException.Invalid($"range of CPUs is from 0.01 to {HostOptions.CpuCount()}.00, as there are only {HostOptions.CpuCount()} CPUs available");
        if (request.StopSignal is { } stopSignal) Signals.Parse(stopSignal);
        // What the host's cgroups cannot do is dropped (the front ends showed dockerd's warning: HostWarnings).
        var (blockIO, _) = BlockIO.CheckOnHost(BlockIOSettings.Of(request));
        request = blockIO.ApplyTo(request);
        var blockIOSpec = BlockIO.ToSpec(blockIO);
        request.LogConfig.Validate();
        if (request.Network is "default" or "") request = request with { Network = Options.DefaultNetwork };
        AddressRequest.CheckAddresses(request.IPv4Address, request.IPv6Address);
        if (request.MacAddress is { } macAddress) request = request with { MacAddress = AddressRequest.NormalizeMac(macAddress) };
        CheckNetworkModeOptions(request);
        // docker keeps container:<full ID> when the container is there at create (it is looked up again at start).
        if (NetworkService.ContainerOf(request.Network) is { } joined && TryResolve(joined, out var joinedRow))
            request = request with { Network = "container:" + joinedRow!.Id };
        foreach (var key in request.Sysctls.Keys) HostOptions.CheckSysctl(key, request.Network);
        var rlimits = request.Ulimits.Select(u => u.ToRlimit()).ToList();
        var extraHosts = request.ExtraHosts.Select(HostOptions.HostsLine).ToList();
        var devices = request.Devices.Select(d =>
        {
            d.Validate();
            return HostDevices.Lookup(d.PathOnHost, d.PathInContainer, d.CgroupPermissions);
        }).ToList();
        if (request.CidFile is { } cidFile && File.Exists(cidFile))
            throw BerthException.Invalid($"Container ID file found, make sure the other container isn't running or delete {cidFile}");

        var network = NetworkService.IsBuiltinMode(request.Network) ? null : Networks.Resolve(request.Network);
        if (request.NetworkAliases.Count > 0 && (network is null || network.Name == NetworkService.DefaultNetwork))
            throw BerthException.Invalid("network-scoped aliases are only supported for user-defined networks");
        var moreNetworks = ResolveMoreNetworks(request, network);
        // Specs are checked at create (docker's CLI does, before anything exists); ports are taken at start.
        var publishKeys = request.Publish.SelectMany(Berth.Network.Ports.PortSpec.Parse).Select(p => p.Key).ToList();

        var imageConfig = Images.ReadConfig(image!);
        var config = imageConfig.Config ?? new ContainerConfig();
        var healthcheck = MergeHealthcheck(config.Healthcheck, request.Healthcheck);
        CheckHealthcheck(healthcheck);
        var exposedPorts = ExposedPorts(config.ExposedPorts?.Keys, request.Expose);
        // docker's Config.ExposedPorts holds the published container ports too.
        if (publishKeys.Count > 0)
            exposedPorts = (exposedPorts ?? []).Concat(publishKeys).Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var id = Berth.Interop.KernelRandom.Hex(32);
        var name = wanted?.TrimStart('/') ?? NameGenerator.Next(n => Store.Metadata.GetContainerByName(n) is null);
        var dir = DirOf(id);
        var createdVolumes = new List<string>();
        var held = Store.LockContainer(id, ct);
        var recorded = false;
        try
        {
            Directory.CreateDirectory(ContainersDir);
            Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var sub in new[] { "rootfs", "upper", "work" }) Directory.CreateDirectory(Path.Combine(dir, sub));

            var lowers = image!.Layers.Select(l => Store.Snapshots.PathOf(l.ChainId)).Reverse().ToList();
            if (lowers.Count == 0)
            {
                // overlayfs needs at least one lower layer; an image without layers gets an empty one.
                lowers.Add(Path.Combine(dir, "empty"));
                Directory.CreateDirectory(lowers[0]);
            }
            var mounts = ResolveMounts(request, config.Volumes?.Keys ?? Enumerable.Empty<string>(), createdVolumes);
            PopulateVolumes(mounts, lowers, dir, ct);
            var hostname = request.Hostname is { Length: > 0 } h ? h : id[..12];
            WriteNetworkFiles(dir, hostname, request, extraHosts, network);

            var binds = new List<BindMount>
            {
                new() { Source = Path.Combine(dir, "hostname"), Destination = "/etc/hostname" },
                new() { Source = Path.Combine(dir, "hosts"), Destination = "/etc/hosts" },
                new() { Source = Path.Combine(dir, "resolv.conf"), Destination = "/etc/resolv.conf" },
            };
            var tmpfs = new Dictionary<string, string>();
            foreach (var m in mounts)
            {
                if (m.Type == "tmpfs") tmpfs[m.Destination] = m.Options ?? "";
                else binds.Add(new BindMount { Source = m.Source, Destination = m.Destination, ReadOnly = !m.ReadWrite, Propagation = m.Propagation });
            }

            var options = new RunOptions
            {
                Command = request.Cmd,
                Entrypoint = request.Entrypoint,
                Env = request.Env,
                WorkingDir = request.WorkingDir,
                User = request.User,
                Hostname = hostname,
                RootfsPath = "rootfs",
                RootMount = new Mount
                {
                    Destination = "/",
                    Type = "overlay",
                    Source = "overlay",
                    Options = Berth.Runtime.Rootfs.OverlayOptions.For(lowers, Path.Combine(dir, "upper"), Path.Combine(dir, "work")),
                },
                Binds = binds,
                Tmpfs = tmpfs,
                ReadOnlyRootfs = request.ReadOnly,
                Memory = request.Memory,
                MemorySwap = request.MemorySwap,
                Cpus = request.NanoCpus is { } n ? n / 1_000_000_000m : null,
                CpuShares = request.CpuShares,
                PidsLimit = request.PidsLimit,
                CapAdd = request.CapAdd,
                CapDrop = request.CapDrop,
                Privileged = request.Privileged,
                NoNewPrivileges = request.SecurityOpt.Any(o => o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true"),
                SeccompProfile = SeccompOption(request.SecurityOpt),
                // A bridge network's container gets a namespace of its own (lo up), connected at start.
                Network = request.Network == "host" ? NetworkMode.Host : NetworkMode.None,
                Terminal = request.Tty,
                Init = request.Init,
                CgroupParent = Options.CgroupParent,
                Domainname = request.Domainname,
                GroupAdd = request.GroupAdd.Count > 0 ? request.GroupAdd : null,
                ShmSize = request.ShmSize,
                Sysctls = request.Sysctls.Count > 0 ? request.Sysctls : null,
                OomScoreAdj = request.OomScoreAdj,
                // As docker: without --ulimit the container has the limits of the process that starts it.
                Rlimits = rlimits,
                PidHost = request.PidMode == "host",
                IpcHost = request.IpcMode == "host",
                UtsHost = request.UtsMode == "host",
                Devices = devices,
                CpusetCpus = request.CpusetCpus,
                CpusetMems = request.CpusetMems,
                CpuPeriod = request.CpuPeriod,
                CpuQuota = request.CpuQuota,
                MemoryReservation = request.MemoryReservation,
                MemorySwappiness = request.MemorySwappiness,
                OomKillDisable = request.OomKillDisable,
                BlockIO = blockIOSpec,
            };
            var users = LoadUsers(lowers);
            var spec = SpecGenerator.Generate(id, config, options, SpecHost.Detect(), users);
            if (request.Privileged) spec = KnownCapabilitiesOnly(spec);
            File.WriteAllBytes(Path.Combine(dir, "config.json"), RuntimeJson.Serialize(spec));

            Berth.Oci.Diagnostics.Timeline.Mark("engine: bundle written");
            var stored = new StoredContainerConfig
            {
                Request = request,
                Args = spec.Process!.Args ?? [],
                Env = spec.Process.Env ?? [],
                ConfigEnv = MergeEnv(request.Env, config.Env ?? []),
                Cwd = spec.Process.Cwd,
                Hostname = hostname,
                User = request.User ?? config.User ?? "",
                Entrypoint = request.Entrypoint ?? config.Entrypoint,
                Cmd = request.Cmd is { Count: > 0 } ? request.Cmd : request.Entrypoint is not null ? null : config.Cmd,
                StopSignal = request.StopSignal ?? config.StopSignal,
                Labels = Merge(config.Labels, request.Labels),
                Mounts = mounts,
                LowerDirs = lowers,
                Healthcheck = healthcheck,
                ExposedPorts = exposedPorts,
                NetworksRecorded = true,
            };
            var row = new ContainerRow
            {
                Id = id,
                Name = name,
                ImageId = image.Id.ToString(),
                ImageName = request.Image,
                Created = Time.GetUtcNow(),
                Config = JsonSerializer.Serialize(stored, ContainerJsonContext.Writer.StoredContainerConfig),
            };
            // Known before the row is: the create event's labels (and run's start) read the config from here instead
            // of parsing it back, which would build the serializer's metadata for the whole stored config.
            s_parsedConfigs.AddOrUpdate(row.Config, stored);
            // The container and its memberships (eth0 for --network, then one per further network) in one
            // transaction: no reader sees the container on some of its networks only.
            var attachments = network is null ? [] : moreNetworks.Select(m => new Berth.Storage.Metadata.AttachmentRow
                {
                    ContainerId = id, NetworkId = m.Network.Id, Aliases = m.Endpoint.Aliases,
                    IPv4Address = m.Endpoint.IPv4Address, IPv6Address = m.Endpoint.IPv6Address, MacAddress = m.Endpoint.MacAddress,
                }).Prepend(new Berth.Storage.Metadata.AttachmentRow { ContainerId = id, NetworkId = network.Id, Aliases = request.NetworkAliases }).ToList();
            if (!Store.Metadata.TryAddContainer(row, attachments, out var holder))
                throw BerthException.Conflict($"Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name.");
            recorded = true;
            Record(row, "create");
            lock (_freshSpecs) _freshSpecs[id] = spec;
            if (request.CidFile is { } idFile) File.WriteAllText(idFile, id);
            return (row, held);
        }
        catch
        {
            // The --cidfile could not be written: the container is not left half made either.
            if (recorded) Store.Metadata.DeleteContainer(id);
            TakeFreshSpec(id);
            DeleteDirectory(dir);
            foreach (var v in createdVolumes) Volumes.RemoveQuiet(v);
            held.DeleteFile();
            held.Dispose();
            throw;
        }
    }

    /// <summary>The spec <see cref="Create"/> wrote to the container's config.json, if this service wrote it: a
    /// <c>run</c> starts from it instead of parsing the file back.</summary>
    private RuntimeSpec? TakeFreshSpec(string id)
    {
        lock (_freshSpecs) return _freshSpecs.Remove(id, out var spec) ? spec : null;
    }

    /// <summary>--privileged asks for every capability berth knows; capset refuses those this kernel does not
    /// (above /proc/sys/kernel/cap_last_cap), so they are left out, as docker does.</summary>
    private static RuntimeSpec KnownCapabilitiesOnly(RuntimeSpec spec)
    {
        var last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), CultureInfo.InvariantCulture);
        IReadOnlyList<string>? Known(IReadOnlyList<string>? caps) => caps?.Where(c => Capabilities.TryGetNumber(c, out var n) && n <= last).ToList();
        var caps = spec.Process!.Capabilities;
        if (caps is null) return spec;
        return spec with
        {
            Process = spec.Process with
            {
                Capabilities = caps with
                {
                    Bounding = Known(caps.Bounding), Effective = Known(caps.Effective), Permitted = Known(caps.Permitted),
                    Inheritable = Known(caps.Inheritable), Ambient = Known(caps.Ambient),
                },
            },
        };
    }

    private static IReadOnlyDictionary<string, string> Merge(IReadOnlyDictionary<string, string>? image, IReadOnlyDictionary<string, string> request)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in image ?? new Dictionary<string, string>()) all[k] = v;
        foreach (var (k, v) in request) all[k] = v;
        return new Dictionary<string, string>(all);
    }

    private static string? SeccompOption(IReadOnlyList<string> securityOpt)
    {
        foreach (var o in securityOpt)
        {
            var i = o.IndexOfAny([':', '=']);
            var key = i < 0 ? o : o[..i];
            var value = i < 0 ? "" : o[(i + 1)..];
            switch (key)
            {
                case "no-new-privileges":
                    if (value is not ("" or "true" or "false")) throw BerthException.Invalid($"invalid --security-opt 2: \"{o}\"");
                    break;
                case "seccomp":
                    return value == "unconfined" ? "unconfined" : File.ReadAllText(value);
                case "label" or "apparmor":
                    break;
                default:
                    throw BerthException.Invalid($"invalid --security-opt 1: \"{o}\"");
            }
        }
        return null;
    }

    internal static bool ValidName(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>The image's /etc/passwd and /etc/group: each from the topmost layer that has it (layers are stored
    /// one per directory, so this is overlay's lookup for two files).</summary>
    private static UserDatabase LoadUsers(IReadOnlyList<string> lowersTopFirst)
    {
        string? passwd = null, group = null;
        bool passwdDone = false, groupDone = false;
        foreach (var layer in lowersTopFirst)
        {
            if (passwdDone && groupDone) break;
            var etc = Path.Combine(layer, "etc");
            UserDatabase? loaded = null;
            if (!passwdDone && Path.Exists(Path.Combine(etc, "passwd")))
            {
                passwdDone = true;
                passwd = (loaded ??= UserDatabase.Load(layer)).Passwd;
            }
            if (!groupDone && Path.Exists(Path.Combine(etc, "group")))
            {
                groupDone = true;
                group = (loaded ??= UserDatabase.Load(layer)).Group;
            }
        }
        return new UserDatabase { Passwd = passwd, Group = group };
    }

    /// <summary>dockerd's checks of the network mode against other options (runconfig's validateNetContainerMode),
    /// in its order and words: a container sharing another's namespace takes that one's name, hosts, DNS and ports.</summary>
    private static void CheckNetworkModeOptions(ContainerRequest request)
    {
        var network = request.Network;
        if (network.StartsWith("container:", StringComparison.Ordinal) && network.Length == "container:".Length)
            throw BerthException.Invalid("Invalid network mode: invalid container format container:<name|id>");
        var container = NetworkService.ContainerOf(network) is not null;
        if (container && request.Hostname is { Length: > 0 }) throw BerthException.Invalid("conflicting options: hostname and the network mode");
        if (container && request.Dns.Count > 0) throw BerthException.Invalid("conflicting options: dns and the network mode");
        if (container && request.ExtraHosts.Count > 0) throw BerthException.Invalid("conflicting options: custom host-to-IP mapping and the network mode");
        if ((container || network == "host") && request.MacAddress is not null) throw BerthException.Invalid("conflicting options: mac-address and the network mode");
        if (container && (request.Publish.Count > 0 || request.PublishAll))
            throw BerthException.Invalid("conflicting options: port publishing and the container type network mode");
        if (container && request.Expose.Count > 0) throw BerthException.Invalid("conflicting options: port exposing and the container type network mode");
    }

    private void WriteNetworkFiles(string dir, string hostname, ContainerRequest request, IReadOnlyList<string> extraHosts, Berth.Storage.Metadata.NetworkRow? bridge)
    {
        var network = request.Network;
        File.WriteAllText(Path.Combine(dir, "hostname"), hostname + "\n");
        if (network == "host")
        {
            File.Copy("/etc/hosts", Path.Combine(dir, "hosts"));
            File.WriteAllText(Path.Combine(dir, "hostname"), System.Net.Dns.GetHostName() + "\n");
        }
        else
        {
            File.WriteAllText(Path.Combine(dir, "hosts"),
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        }
        if (extraHosts.Count > 0) File.AppendAllText(Path.Combine(dir, "hosts"), string.Join('\n', extraHosts) + "\n");
        File.WriteAllText(Path.Combine(dir, "resolv.conf"), ResolvConfFor(request, bridge));
    }

    /// <summary>A container's resolv.conf, as docker writes it: on a user network (<paramref name="resolver"/>) the
    /// network's resolver is the one nameserver (the --dns servers become its upstreams); on the default bridge the
    /// host's file without loopback servers; with none or host the host's file; --dns, --dns-search and --dns-option
    /// applied.</summary>
    private string ResolvConfFor(ContainerRequest request, Berth.Storage.Metadata.NetworkRow? resolver)
    {
        var resolv = File.Exists(Options.ResolvConfPath) ? File.ReadAllText(Options.ResolvConfPath) : "";
        if (resolver is not null && resolver.Name != NetworkService.DefaultNetwork)
        {
            HostOptions.ResolvConf("", request.Dns, [], []); // checks the --dns addresses
            return Berth.Network.ResolvConf.ForUserNetwork(resolv, resolver.Gateway, request.DnsSearch, request.DnsOptions);
        }
        // On a bridge the host's loopback resolvers would be the container's own loopback: docker drops them.
        if (resolver is not null) resolv = Berth.Network.ResolvConf.ForBridge(resolv);
        if (request.Dns.Count + request.DnsSearch.Count + request.DnsOptions.Count > 0)
            resolv = HostOptions.ResolvConf(resolv, request.Dns, request.DnsSearch, request.DnsOptions);
        return resolv;
    }

    /// <summary>The request's binds, mounts and tmpfs as mounts, creating named and anonymous volumes as docker
    /// does, then an anonymous volume at each of the image's VOLUME paths that nothing else is mounted on (moby
    /// daemon/create_unix.go, in path order here: Go's map order there). A bind source must exist unless the request
    /// asks for it to be made (<c>-v</c>).</summary>
    private List<ContainerMount> ResolveMounts(ContainerRequest request, IEnumerable<string> imageVolumes, List<string> createdVolumes)
    {
        var requested = request.Binds.Concat(request.Mounts).ToList();
        // Every mount is checked before any volume or host directory is made.
        foreach (var m in requested)
        {
            Validate(m);
            if (m.Type == MountKind.Bind && m.BindOptions?.CreateMountpoint != true && !Path.Exists(m.Source))
                throw BerthException.Invalid($"invalid mount config for type \"bind\": bind source path does not exist: {m.Source}");
        }
        var mounts = new List<ContainerMount>();
        foreach (var m in requested)
        {
            switch (m.Type)
            {
                case MountKind.Bind:
                    if (!Path.Exists(m.Source)) Directory.CreateDirectory(m.Source);
                    mounts.Add(new ContainerMount { Type = "bind", Source = m.Source, Destination = m.Target, ReadWrite = !m.ReadOnly, Propagation = m.BindOptions?.Propagation ?? "rprivate" });
                    break;
                case MountKind.Volume:
                    var anonymous = m.Source.Length == 0;
                    var name = anonymous ? Berth.Interop.KernelRandom.Hex(32) : m.Source;
                    if (Volumes.Ensure(name, anonymous)) createdVolumes.Add(name);
                    mounts.Add(new ContainerMount
                    {
                        Type = "volume", Name = name, Source = Volumes.DataPathOf(name), Destination = m.Target, ReadWrite = !m.ReadOnly,
                        Anonymous = anonymous, NoCopy = m.VolumeOptions?.NoCopy == true, Propagation = "",
                    });
                    break;
                case MountKind.Tmpfs:
                    var options = new List<string>();
                    if (m.TmpfsOptions?.SizeBytes is { } size) options.Add("size=" + size.ToString(CultureInfo.InvariantCulture));
                    if (m.TmpfsOptions?.Mode is { } mode) options.Add("mode=" + Convert.ToString(mode, 8));
                    if (m.ReadOnly) options.Add("ro");
                    mounts.Add(new ContainerMount { Type = "tmpfs", Destination = m.Target, Options = string.Join(',', options), ReadWrite = !m.ReadOnly, Propagation = "" });
                    break;
            }
        }

        foreach (var (destination, opts) in request.Tmpfs)
        {
            CheckDestination(destination, destination);
            mounts.Add(new ContainerMount { Type = "tmpfs", Destination = destination, Options = opts, ReadWrite = !opts.Split(',').Contains("ro"), Propagation = "" });
        }
        mounts.AddRange(VolumesFrom(request.VolumesFrom, mounts));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in mounts)
            if (!seen.Add(CleanPath(m.Destination))) throw BerthException.Invalid($"Duplicate mount point: {m.Destination}");
        foreach (var path in imageVolumes.Where(p => p.StartsWith('/')).Select(CleanPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (path == "/" || !seen.Add(path)) continue;
            var name = Berth.Interop.KernelRandom.Hex(32);
            if (Volumes.Ensure(name, anonymous: true)) createdVolumes.Add(name);
            mounts.Add(new ContainerMount
            {
                Type = "volume", Name = name, Source = Volumes.DataPathOf(name), Destination = path, ReadWrite = true, Anonymous = true, Propagation = "",
            });
        }
        return mounts;
    }

    private static void CheckDestination(string destination, string spec)
    {
        if (!destination.StartsWith('/')) throw BerthException.Invalid($"invalid volume specification: '{spec}': mount path must be absolute");
        if (CleanPath(destination) == "/") throw BerthException.Invalid($"invalid volume specification: '{spec}': destination can't be '/'");
    }

    /// <summary>dockerd's words for a volume name its local driver refuses, whichever way the mount was asked for.</summary>
    internal static BerthException VolumeNameInvalid(string name) =>
        BerthException.Invalid($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");

    /// <summary>The part of <see cref="Validate"/> that needs no host: the target.</summary>
    internal static void ValidateTarget(MountRequest m)
    {
        BerthException Invalid(string what) => BerthException.Invalid($"invalid mount config for type \"{m.Type.ToString().ToLowerInvariant()}\": {what}");
        if (m.Target.Length == 0) throw Invalid("field Target must not be empty");
        if (!m.Target.StartsWith('/')) throw Invalid($"invalid mount path: '{m.Target}' mount path must be absolute");
        if (CleanPath(m.Target) == "/") throw Invalid("invalid specification: destination can't be '/'");
    }

    /// <summary>A typed mount checked as dockerd's mount validator does (volume/mounts/validate.go), before anything
    /// is created: the words name the mount's type and field, never a front end's flag.</summary>
    internal static void Validate(MountRequest m)
    {
        ValidateTarget(m);
        var type = m.Type.ToString().ToLowerInvariant();
        BerthException Invalid(string what) => BerthException.Invalid($"invalid mount config for type \"{type}\": {what}");
        if (m.BindOptions is not null && m.Type != MountKind.Bind) throw Invalid("field BindOptions must not be specified");
        if (m.VolumeOptions is not null && m.Type != MountKind.Volume) throw Invalid("field VolumeOptions must not be specified");
        if (m.TmpfsOptions is not null && m.Type != MountKind.Tmpfs) throw Invalid("field TmpfsOptions must not be specified");
        switch (m.Type)
        {
            case MountKind.Bind:
                if (m.Source.Length == 0) throw Invalid("field Source must not be empty");
                if (!m.Source.StartsWith('/')) throw Invalid($"invalid mount path: '{m.Source}' mount path must be absolute");
                if (m.BindOptions?.Propagation is { } p && p is not ("private" or "rprivate" or "shared" or "rshared" or "slave" or "rslave"))
                    throw Invalid($"invalid propagation mode: {p}");
                break;
            case MountKind.Volume:
                if (m.Source.Length > 0 && !VolumeService.ValidName(m.Source)) throw VolumeNameInvalid(m.Source);
                break;
            case MountKind.Tmpfs:
                if (m.Source.Length > 0) throw Invalid("field Source must not be specified");
                if (m.TmpfsOptions?.SizeBytes is < 0) throw Invalid($"invalid tmpfs size: {m.TmpfsOptions.SizeBytes}");
                if (m.TmpfsOptions?.Mode is > 0xFFF) throw Invalid($"invalid tmpfs mode: {Convert.ToString(m.TmpfsOptions.Mode.Value, 8)}");
                break;
            default:
                throw BerthException.Invalid($"mount type unknown: {(int)m.Type}");
        }
    }

    /// <summary>A path's lexical clean form ("/a/./b/../c" → "/a/c"), to compare mount destinations.</summary>
    internal static string CleanPath(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    internal static void DeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static string Iso(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";

    /// <summary>Config.Env of a new container: <paramref name="given"/>, then each of the image's variables whose key
    /// none of them sets.</summary>
    internal static IReadOnlyList<string> MergeEnv(IReadOnlyList<string> given, IReadOnlyList<string> image)
    {
        static string Key(string e) => e.Split('=', 2)[0];
        var keys = given.Select(Key).ToHashSet(StringComparer.Ordinal);
        return [.. given, .. image.Where(e => !keys.Contains(Key(e)))];
    }
}
