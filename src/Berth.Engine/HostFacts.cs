using System.Globalization;
using System.Runtime.InteropServices;

namespace Berth.Engine;

/// <summary>What <c>info</c> reports about the host, read from /proc, /sys and /etc as docker reads them. A file
/// that is not there gives an empty value, never an error: info describes, it does not require.</summary>
internal static class HostFacts
{
    public static string KernelVersion() => Read("/proc/sys/kernel/osrelease")?.Trim() ?? "";

    /// <summary>uname -m (docker's Architecture: x86_64, aarch64).</summary>
    public static string Machine() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "i686",
        Architecture.Arm => "armv7l",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>PRETTY_NAME and VERSION_ID of os-release.</summary>
    public static (string Name, string Version) OperatingSystem()
    {
        var text = Read("/etc/os-release") ?? Read("/usr/lib/os-release") ?? "";
        string Field(string key) => text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal))
            .Select(l => l[(key.Length + 1)..].Trim('"', '\'')).FirstOrDefault() ?? "";
        var name = Field("PRETTY_NAME");
        return (name.Length > 0 ? name : "Linux", Field("VERSION_ID"));
    }

    /// <summary>MemTotal of /proc/meminfo in bytes.</summary>
    public static long MemTotal()
    {
        var line = (Read("/proc/meminfo") ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        return long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v * 1024 : 0;
    }

    /// <summary>"2" on a unified (cgroup2 only) host, else "1", as docker decides.</summary>
    public static string CgroupVersion()
    {
        try
        {
            return Berth.Runtime.Cgroups.CgroupLayout.Detect().Unified ? "2" : "1";
        }
        catch (IOException)
        {
            return "1";
        }
    }

    /// <summary>The security options the host offers containers, in docker's form: seccomp when the kernel filters
    /// system calls (berth applies its builtin profile), apparmor when the module is enabled, cgroupns on cgroup v2.</summary>
    public static IReadOnlyList<string> SecurityOptions(string cgroupVersion)
    {
        var options = new List<string>();
        if ((Read("/proc/self/status") ?? "").Contains("\nSeccomp:", StringComparison.Ordinal)) options.Add("name=seccomp,profile=builtin");
        if (Read("/sys/module/apparmor/parameters/enabled")?.Trim() == "Y") options.Add("name=apparmor");
        if (cgroupVersion == "2") options.Add("name=cgroupns");
        return options;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
