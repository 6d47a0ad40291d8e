using System.Runtime.InteropServices;

namespace Berth.Runtime.Spec;

/// <summary>The facts about the host that a generated spec depends on; injected so generation is a pure function.</summary>
public sealed record SpecHost
{
    /// <summary>Go's spelling (amd64, arm64), as seccomp profiles name architectures.</summary>
    public required string GoArch { get; init; }
    public required Version Kernel { get; init; }
    /// <summary>/sys/devices/system/cpu/cpuN/thermal_throttle directories that exist (masked, as Docker does).</summary>
    public IReadOnlyList<string> ThermalThrottlePaths { get; init; } = [];
    /// <summary>The capabilities in berth's own bounding set (CapBnd), which <c>--privileged</c> and
    /// <c>--cap-add ALL</c> grant: no process can raise a capability outside it, so capset would refuse the rest
    /// (moby's caps.GetAllCapabilities keeps to the bounding set too). Null means every capability berth knows.</summary>
    public IReadOnlyList<string>? BoundingCapabilities { get; init; }

    public static SpecHost Detect()
    {
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "386",
            Architecture.Arm => "arm",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64le",
            Architecture.RiscV64 => "riscv64",
            var other => other.ToString().ToLowerInvariant(),
        };
        var release = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "0.0.0";
        var thermal = new List<string>();
        const string cpus = "/sys/devices/system/cpu";
        if (Directory.Exists(cpus))
        {
            foreach (var dir in Directory.EnumerateDirectories(cpus, "cpu*"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length > 3 && name[3..].All(char.IsAsciiDigit) && Directory.Exists(Path.Combine(dir, "thermal_throttle")))
                    thermal.Add(Path.Combine(dir, "thermal_throttle"));
            }
        }
        thermal.Sort(StringComparer.Ordinal);
        return new SpecHost
        {
            GoArch = arch,
            Kernel = Security.SeccompProfiles.ParseKernel(release),
            ThermalThrottlePaths = thermal,
            BoundingCapabilities = ReadBoundingSet(),
        };
    }

    private static List<string>? ReadBoundingSet()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        if (line is null || !ulong.TryParse(line["CapBnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var mask))
            return null;
        return Security.Capabilities.All.Where((_, bit) => bit < 64 && (mask & (1UL << bit)) != 0).ToList();
    }
}
