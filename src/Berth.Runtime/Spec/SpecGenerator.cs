using System.Globalization;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime.Security;

namespace Berth.Runtime.Spec;

/// <summary>Turns an image's config plus run options into an OCI runtime spec with Docker's defaults (moby
/// daemon/pkg/oci/defaults.go and daemon/oci_linux.go): the same namespaces, mounts, masked and read-only paths,
/// capabilities and seccomp rules a <c>docker run</c> gets, so the bundle behaves alike under berth, runc or crun.
/// A pure function of its inputs: the host facts come in as <see cref="SpecHost"/>.</summary>
public static class SpecGenerator
{
    public static RuntimeSpec Generate(string containerId, ContainerConfig? image, RunOptions options, SpecHost host, UserDatabase? users = null)
    {
        ContainerIds.Validate(containerId);
        image ??= new ContainerConfig();
        users ??= UserDatabase.Empty;

        var args = Args(image, options);
        var user = users.Resolve(options.User ?? image.User, options.GroupAdd);
        var hostname = options.Hostname ?? containerId[..Math.Min(12, containerId.Length)];
        var cwd = options.WorkingDir is { Length: > 0 } w ? w : image.WorkingDir is { Length: > 0 } iw ? iw : "/";
        if (!cwd.StartsWith('/')) throw BerthException.Invalid($"the working directory '{cwd}' is invalid, it needs to be an absolute path");

        var caps = CapabilitySet(options, host);
        var env = Environment(image, options, hostname, users.HomeOf(user.Uid));

        var process = new ProcessSpec
        {
            Terminal = options.Terminal,
            User = user,
            Args = args,
            Env = env,
            Cwd = cwd,
            Capabilities = new LinuxCapabilities { Bounding = caps, Effective = caps, Permitted = caps },
            Rlimits = options.Rlimits ?? [new PosixRlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
            NoNewPrivileges = options.NoNewPrivileges,
            OomScoreAdj = options.OomScoreAdj,
        };

        var namespaces = new List<LinuxNamespace>();
        if (!options.PidHost) namespaces.Add(new LinuxNamespace { Type = "pid" });
        if (!options.IpcHost) namespaces.Add(new LinuxNamespace { Type = "ipc" });
        if (!options.UtsHost) namespaces.Add(new LinuxNamespace { Type = "uts" });
        namespaces.Add(new LinuxNamespace { Type = "mount" });
        if (options.Network == NetworkMode.None) namespaces.Add(new LinuxNamespace { Type = "network" });
        namespaces.Add(new LinuxNamespace { Type = "cgroup" });

        var linux = new LinuxSpec
        {
            Namespaces = namespaces,
            Resources = Resources(options),
            CgroupsPath = $"{options.CgroupParent.TrimEnd('/')}/{containerId}",
            MaskedPaths = options.Privileged ? null : [.. DockerDefaults.MaskedPaths, .. host.ThermalThrottlePaths],
            ReadonlyPaths = options.Privileged ? null : DockerDefaults.ReadonlyPaths,
            Seccomp = Seccomp(options, caps, host),
            Sysctl = options.Sysctls is { Count: > 0 } s ? s : null,
            Devices = options.Devices is { Count: > 0 } devices
                ? devices.Select(d => new LinuxDevice { Path = d.ContainerPath, Type = d.Type, Major = d.Major, Minor = d.Minor, FileMode = d.FileMode, Uid = d.Uid, Gid = d.Gid }).ToList()
                : null,
        };

        return new RuntimeSpec
        {
            Process = process,
            Root = new Root { Path = options.RootfsPath, Readonly = options.ReadOnlyRootfs },
            // The host's UTS namespace keeps the host's names.
            Hostname = options.UtsHost ? null : hostname,
            Domainname = options.UtsHost ? null : options.Domainname,
            Mounts = Mounts(options),
            Annotations = Annotations(options),
            Linux = linux,
        };
    }

    private static Dictionary<string, string>? Annotations(RunOptions o)
    {
        var all = new Dictionary<string, string>(o.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (o.Init) all[Init.Reaper.Annotation] = "true";
        // A network namespace of its own gets lo up, as docker's sandbox and CNI's loopback plugin give every container.
        if (o.Network == NetworkMode.None) all[Namespaces.Loopback.Annotation] = "up";
        return all.Count > 0 ? all : null;
    }

    private static IReadOnlyList<string> Args(ContainerConfig image, RunOptions o)
    {
        IReadOnlyList<string> entrypoint = o.Entrypoint ?? image.Entrypoint ?? [];
        // A new entrypoint drops the image's Cmd (docker run --entrypoint): it was written for the old one.
        IReadOnlyList<string> cmd = o.Command is { Count: > 0 } ? o.Command : o.Entrypoint is not null ? [] : image.Cmd ?? [];
        var args = entrypoint.Concat(cmd).ToList();
        if (args.Count == 0) throw BerthException.Invalid("no command specified");
        return args;
    }

    private static List<string> Environment(ContainerConfig image, RunOptions o, string hostname, string home)
    {
        // Order and precedence as Docker: PATH default, HOSTNAME, image Env, then -e; later keys replace earlier ones.
        var env = new List<string>();
        void Set(string kv)
        {
            var eq = kv.IndexOf('=');
            var key = eq < 0 ? kv : kv[..eq];
            if (key.Length == 0) throw BerthException.Invalid($"invalid environment variable: {kv}");
            var i = env.FindIndex(e => e.StartsWith(key + "=", StringComparison.Ordinal) || e == key);
            if (i >= 0) env[i] = kv; else env.Add(kv);
        }
        Set(DockerDefaults.Path);
        Set("HOSTNAME=" + hostname);
        foreach (var e in image.Env ?? []) Set(e);
        foreach (var e in o.Env ?? []) Set(e);
        if (o.Terminal && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add("HOME=" + home);
        return env;
    }

    private static List<string> CapabilitySet(RunOptions o, SpecHost host)
    {
        var adds = (o.CapAdd ?? []).Select(c => c.Trim()).ToList();
        var drops = (o.CapDrop ?? []).Select(c => c.Trim()).ToList();
        if (o.Privileged || adds.Any(IsAll))
        {
            var all = Capabilities.All.Where(c => host.BoundingCapabilities?.Contains(c) ?? true).ToList();
            return drops.Any(IsAll) ? [] : all.Except(drops.Where(d => !IsAll(d)).Select(Capabilities.Normalize)).ToList();
        }
        var set = drops.Any(IsAll) ? [] : Capabilities.DockerDefault.ToList();
        foreach (var d in drops.Where(d => !IsAll(d))) set.Remove(Capabilities.Normalize(d));
        foreach (var a in adds)
        {
            var n = Capabilities.Normalize(a);
            if (!set.Contains(n)) set.Add(n);
        }
        return set;

        static bool IsAll(string c) => c.Equals("ALL", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The resource limits of <paramref name="o"/>, checked as the daemon checks them: what <c>update</c> applies
    /// to a running container's cgroup.</summary>
    public static LinuxResources Resources(RunOptions o)
    {
        LinuxMemory? memory = null;
        if (o.Memory is { } m)
        {
            if (m < 6 * 1024 * 1024) throw BerthException.Invalid("Minimum memory limit allowed is 6MB");
            var swap = o.MemorySwap ?? m * 2;
            if (swap != -1 && swap < m)
                throw BerthException.Invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
            memory = new LinuxMemory { Limit = m, Swap = swap };
        }
        else if (o.MemorySwap is { } and not -1)
        {
            throw BerthException.Invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
        }
        if (o.MemoryReservation is not null || o.MemorySwappiness is not null || o.OomKillDisable)
        {
            if (o.MemorySwappiness is > 100) throw BerthException.Invalid($"Invalid value: {o.MemorySwappiness}, valid memory swappiness range is 0-100");
            if (o.MemoryReservation is { } r && o.Memory is { } limit && r > limit)
                throw BerthException.Invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
            memory = (memory ?? new LinuxMemory()) with
            {
                Reservation = o.MemoryReservation, Swappiness = o.MemorySwappiness, DisableOomKiller = o.OomKillDisable ? true : null,
            };
        }

        LinuxCpu? cpu = null;
        if (o.Cpus is { } cpus || o.CpuShares is not null)
        {
            const ulong period = 100_000;
            long? quota = null;
            if (o.Cpus is { } c)
            {
                if (c <= 0) throw BerthException.Invalid($"invalid --cpus value {c.ToString(CultureInfo.InvariantCulture)}: must be positive");
                quota = (long)decimal.Round(c * period);
            }
            cpu = new LinuxCpu { Shares = o.CpuShares, Quota = quota, Period = quota is null ? null : period };
        }
        if (o.CpuPeriod is not null || o.CpuQuota is not null || o.CpusetCpus is not null || o.CpusetMems is not null)
        {
            if (o.Cpus is not null && (o.CpuPeriod is not null || o.CpuQuota is not null))
                throw BerthException.Invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
            if (o.CpuQuota is { } q and > 0 and < 1000) throw BerthException.Invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
            if (o.CpuPeriod is { } per and (< 1000 or > 1_000_000)) throw BerthException.Invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)");
            cpu = (cpu ?? new LinuxCpu()) with
            {
                Period = o.CpuPeriod ?? cpu?.Period, Quota = o.CpuQuota ?? cpu?.Quota, Cpus = o.CpusetCpus, Mems = o.CpusetMems,
            };
        }

        LinuxPids? pids = o.PidsLimit is { } p and > 0 ? new LinuxPids { Limit = p } : null;

        return new LinuxResources
        {
            Devices = o.Privileged ? [new LinuxDeviceCgroup { Allow = true, Access = "rwm" }]
                : [.. DockerDefaults.DeviceRules, .. (o.Devices ?? []).Select(d => new LinuxDeviceCgroup { Allow = true, Type = d.Type, Major = d.Major, Minor = d.Minor, Access = d.Permissions })],
            Memory = memory,
            Cpu = cpu,
            Pids = pids,
            BlockIO = o.BlockIO,
        };
    }

    private static LinuxSeccomp? Seccomp(RunOptions o, IReadOnlyCollection<string> caps, SpecHost host)
    {
        if (o.Privileged || o.SeccompProfile == "unconfined") return null;
        var profile = o.SeccompProfile is { Length: > 0 } json
            ? SeccompProfiles.Parse(System.Text.Encoding.UTF8.GetBytes(json), "seccomp profile")
            : SeccompProfiles.DockerDefault;
        return SeccompProfiles.ToOci(profile, caps, host.GoArch, host.Kernel);
    }

    private static List<Mount> Mounts(RunOptions o)
    {
        var shm = o.ShmSize ?? 64L * 1024 * 1024;
        var defaults = new List<Mount>
        {
            new() { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", o.Privileged ? "rw" : "ro"] },
            new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", o.Privileged ? "rw" : "ro"] },
            new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
            // --ipc host: the host's shared memory, as docker binds it.
            o.IpcHost
                ? new() { Destination = "/dev/shm", Type = "bind", Source = "/dev/shm", Options = ["rbind", "rprivate"] }
                : new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", $"size={shm}"] },
        };

        var user = new List<Mount>();
        foreach (var b in o.Binds ?? [])
        {
            CheckDestination(b.Destination);
            if (!b.Source.StartsWith('/')) throw BerthException.Invalid($"invalid mount config: bind source path must be absolute: {b.Source}");
            user.Add(new Mount
            {
                Destination = b.Destination,
                Type = "bind",
                Source = b.Source,
                Options = [b.Recursive ? "rbind" : "bind", b.ReadOnly ? "ro" : "rw", b.Propagation],
            });
        }
        foreach (var (dest, opts) in o.Tmpfs ?? new Dictionary<string, string>())
        {
            CheckDestination(dest);
            var list = new List<string> { "nosuid", "nodev", "noexec" };
            list.AddRange(opts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            user.Add(new Mount { Destination = dest, Type = "tmpfs", Source = "tmpfs", Options = list });
        }
        foreach (var m in o.Mounts ?? [])
        {
            CheckDestination(m.Destination);
            user.Add(m);
        }

        // A user mount replaces a default at the same destination (-v /x:/dev/shm), and mounts under a replaced
        // /dev or /sys keep theirs; parents are mounted before children (Docker sorts by path depth).
        var taken = user.Select(m => Clean(m.Destination)).ToHashSet(StringComparer.Ordinal);
        var result = defaults.Where(d => !taken.Contains(d.Destination)).ToList();
        result.AddRange(user.OrderBy(m => Clean(m.Destination).Count(c => c == '/')).ThenBy(m => user.IndexOf(m)));
        if (o.RootMount is { } root) result.Insert(0, root with { Destination = "/" });
        return result;
    }

    private static void CheckDestination(string destination)
    {
        if (!destination.StartsWith('/')) throw BerthException.Invalid($"invalid mount config: mount path must be absolute: {destination}");
        if (Clean(destination) == "/") throw BerthException.Invalid("invalid mount config: destination can't be '/'");
    }

    internal static string Clean(string path)
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
}
