using System.Globalization;
using System.Text;

namespace Berth.Runtime.Cgroups;

/// <summary>How the host's cgroup hierarchies are mounted, read from <c>/proc/self/mountinfo</c> and
/// <c>/proc/self/cgroup</c>: a pure cgroup v2 host (<see cref="Unified"/>), or cgroup v1 controllers, possibly with a
/// v2 hierarchy beside them (hybrid). Detected, never assumed.</summary>
public sealed record CgroupLayout
{
    /// <summary>True when cgroup2 is mounted at /sys/fs/cgroup (every controller lives there).</summary>
    public bool Unified { get; init; }
    /// <summary>The v2 mount point on a unified host.</summary>
    public string? UnifiedMount { get; init; }
    /// <summary>Every hierarchy (v1 ones, and a hybrid host's cgroup2) with the caller's own cgroup in it.</summary>
    public IReadOnlyList<CgroupHierarchy> Hierarchies { get; init; } = [];

    public static CgroupLayout Detect() =>
        Parse(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText("/proc/self/cgroup"));

    public static CgroupLayout Parse(string mountinfo, string procCgroup)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3) own[parts[1]] = parts[2];
        }

        var hierarchies = new List<CgroupHierarchy>();
        string? unifiedMount = null;
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (dash < 0 || fields.Length < dash + 4) continue;
            var fsType = fields[dash + 1];
            if (fsType is not ("cgroup" or "cgroup2")) continue;
            var root = Unescape(fields[3]);
            var mountPoint = Unescape(fields[4]);
            if (fsType == "cgroup2" && mountPoint == "/sys/fs/cgroup") unifiedMount = mountPoint;

            string key, options;
            IReadOnlyList<string> controllers;
            if (fsType == "cgroup2")
            {
                key = "";
                options = "";
                controllers = [];
            }
            else
            {
                var super = fields[dash + 3].Split(',').Where(o => o is not ("rw" or "ro") && !o.StartsWith("release_agent=", StringComparison.Ordinal)
                    && o is not ("clone_children" or "noprefix" or "xattr" or "cpuset_v2_mode")).ToList();
                options = string.Join(',', super);
                controllers = super.Where(o => !o.StartsWith("name=", StringComparison.Ordinal)).ToList();
                key = options;
            }
            if (hierarchies.Any(h => h.FsType == fsType && h.Options == options)) continue; // the same hierarchy mounted twice
            own.TryGetValue(key, out var ownPath);
            hierarchies.Add(new CgroupHierarchy
            {
                Name = Path.GetFileName(mountPoint.TrimEnd('/')) is { Length: > 0 } n ? n : "unified",
                FsType = fsType,
                Options = options,
                Controllers = controllers,
                MountPoint = mountPoint,
                MountRoot = root,
                OwnPath = ownPath ?? "/",
            });
        }

        if (unifiedMount is not null)
        {
            return new CgroupLayout
            {
                Unified = true,
                UnifiedMount = unifiedMount,
                Hierarchies = hierarchies.Where(h => h.FsType == "cgroup2" && h.MountPoint == unifiedMount).ToList(),
            };
        }
        return new CgroupLayout { Hierarchies = hierarchies };
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length)
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }

    /// <summary>Resolves a spec's <c>cgroupsPath</c>: absolute paths are from the hierarchy's root, relative ones from
    /// the caller's own cgroup (runc's cgroupfs rule).</summary>
    public static string ResolvePath(string cgroupsPath, string ownPath)
    {
        var parts = new List<string>();
        var start = cgroupsPath.StartsWith('/') ? "" : ownPath;
        foreach (var p in (start + "/" + cgroupsPath).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p is "." or "..") throw Oci.Errors.BerthException.Invalid($"invalid cgroupsPath \"{cgroupsPath}\"");
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    internal static string Format(long v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One mounted cgroup hierarchy.</summary>
public sealed record CgroupHierarchy
{
    /// <summary>The mount's directory name (cpu, memory, name=systemd's "systemd", a hybrid host's "unified").</summary>
    public required string Name { get; init; }
    public required string FsType { get; init; }
    /// <summary>The v1 mount options naming the hierarchy ("cpu", "cpu,cpuacct", "name=systemd").</summary>
    public required string Options { get; init; }
    public required IReadOnlyList<string> Controllers { get; init; }
    public required string MountPoint { get; init; }
    /// <summary>Which cgroup the mount shows at its top (not "/" inside a cgroup namespace).</summary>
    public string MountRoot { get; init; } = "/";
    /// <summary>The caller's cgroup in this hierarchy.</summary>
    public string OwnPath { get; init; } = "/";

    /// <summary>The directory of a cgroup path of this hierarchy.</summary>
    public string DirectoryOf(string cgroupPath)
    {
        var rel = cgroupPath;
        if (MountRoot != "/" && (rel == MountRoot || rel.StartsWith(MountRoot + "/", StringComparison.Ordinal))) rel = rel[MountRoot.Length..];
        return MountPoint.TrimEnd('/') + "/" + rel.TrimStart('/');
    }
}
