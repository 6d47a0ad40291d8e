using Berth.Oci.Errors;
using Berth.Runtime.Spec;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>Computes the <see cref="MountPlan"/> of a spec, in runc's order: propagation, root, mounts (parents first,
/// as the spec lists them), /dev nodes and links, console, pivot_root, sysctls, read-only paths, masked paths, and
/// finally a read-only root.</summary>
public static class MountPlanner
{
    private static readonly (string Name, long Major, long Minor)[] DefaultDevices =
        [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)];

    public static MountPlan Plan(RuntimeSpec spec, string rootfsPath, bool kcoreExists = true)
    {
        var linux = spec.Linux ?? new LinuxSpec();
        var steps = new List<MountStep>
        {
            new SetRootPropagation(linux.RootfsPropagation switch
            {
                null or "" or "rslave" => MS_SLAVE | MS_REC,
                "slave" => MS_SLAVE,
                "private" => MS_PRIVATE,
                "rprivate" => MS_PRIVATE | MS_REC,
                "shared" => MS_SHARED,
                "rshared" => MS_SHARED | MS_REC,
                "unbindable" => MS_UNBINDABLE,
                "runbindable" => MS_UNBINDABLE | MS_REC,
                var other => throw BerthException.Invalid($"invalid rootfsPropagation \"{other}\""),
            }),
        };

        var mounts = spec.Mounts ?? [];
        var rootMount = mounts.FirstOrDefault(m => SpecGenerator.Clean(m.Destination) == "/");
        steps.Add(new PrepareRoot(rootfsPath, rootMount));

        var devIsTmpfs = false;
        foreach (var m in mounts)
        {
            if (ReferenceEquals(m, rootMount)) continue;
            if (!m.Destination.StartsWith('/'))
                throw BerthException.Invalid($"mount destination \"{m.Destination}\" is not absolute");
            var dest = SpecGenerator.Clean(m.Destination);
            var options = MountOptions.Parse(m.Options);
            var type = m.Type ?? (options.IsBind ? "bind" : "");
            if (type == "bind" && !options.IsBind) options = options with { Flags = options.Flags | MS_BIND };
            if (type.Length == 0) throw BerthException.Invalid($"mount {dest}: no type");
            if (type == "proc" && dest != "/proc")
                throw BerthException.Invalid($"mount {dest}: a proc filesystem may only be mounted at /proc");
            if (dest == "/proc" && type != "proc")
                throw BerthException.Invalid($"mount {dest}: only a proc filesystem may be mounted at /proc");
            if (type == "cgroup")
            {
                steps.Add(new MountCgroups(dest, options));
                continue;
            }
            if (dest == "/dev") devIsTmpfs = type == "tmpfs";
            steps.Add(new MountFilesystem(dest, type, m.Source ?? type, options));
        }

        if (devIsTmpfs)
        {
            foreach (var (name, major, minor) in DefaultDevices)
                steps.Add(new CreateDevice("/dev/" + name, 'c', major, minor, 0x1B6 /* 0666 */, 0, 0));
        }
        foreach (var d in linux.Devices ?? [])
        {
            var type = d.Type switch
            {
                "c" or "u" => 'c',
                "b" => 'b',
                "p" => 'p',
                _ => throw BerthException.Invalid($"device {d.Path}: unknown type \"{d.Type}\""),
            };
            if (devIsTmpfs && DefaultDevices.Any(x => "/dev/" + x.Name == d.Path)) steps.RemoveAll(s => s is CreateDevice c && c.Path == d.Path);
            steps.Add(new CreateDevice(SpecGenerator.Clean(d.Path), type, d.Major, d.Minor, d.FileMode ?? 0x1B6, d.Uid ?? 0, d.Gid ?? 0));
        }
        if (devIsTmpfs)
        {
            steps.Add(new CreateSymlink("/proc/self/fd", "/dev/fd"));
            steps.Add(new CreateSymlink("/proc/self/fd/0", "/dev/stdin"));
            steps.Add(new CreateSymlink("/proc/self/fd/1", "/dev/stdout"));
            steps.Add(new CreateSymlink("/proc/self/fd/2", "/dev/stderr"));
            steps.Add(new CreateSymlink("pts/ptmx", "/dev/ptmx"));
            if (kcoreExists) steps.Add(new CreateSymlink("/proc/kcore", "/dev/core"));
        }

        if (spec.Process?.Terminal == true)
        {
            var size = spec.Process.ConsoleSize;
            steps.Add(new SetupConsole((ushort)(size?.Height ?? 0), (ushort)(size?.Width ?? 0)));
        }

        steps.Add(new PivotRoot());

        foreach (var (key, value) in linux.Sysctl ?? new Dictionary<string, string>())
            steps.Add(new WriteSysctl(key, value));
        foreach (var p in linux.ReadonlyPaths ?? []) steps.Add(new ReadonlyPath(p));
        foreach (var p in linux.MaskedPaths ?? []) steps.Add(new MaskPath(p));
        if (spec.Root?.Readonly == true) steps.Add(new RemountRootReadonly());
        return new MountPlan(steps);
    }
}
