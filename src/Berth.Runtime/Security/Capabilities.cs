using Berth.Oci.Errors;

namespace Berth.Runtime.Security;

/// <summary>Linux capability names (include/uapi/linux/capability.h) and the bit masks built from them.</summary>
/// <see href="https://man7.org/linux/man-pages/man7/capabilities.7.html"/>
public static class Capabilities
{
    private static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Docker's default set (moby daemon/pkg/oci/caps/defaults.go): CapEff 00000000a80425fb.</summary>
    public static IReadOnlyList<string> DockerDefault { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];

    /// <summary>Every capability this build knows, in bit order.</summary>
    public static IReadOnlyList<string> All => Names;

    /// <summary>Normalises "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" to "CAP_NET_ADMIN".</summary>
    public static string Normalize(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        var full = upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        if (Array.IndexOf(Names, full) < 0) throw BerthException.Invalid($"unknown capability: \"{name}\"");
        return full;
    }

    public static bool TryGetNumber(string name, out int number)
    {
        number = Array.IndexOf(Names, name);
        return number >= 0;
    }

    /// <summary>Bit mask of a set of names. Unknown names fail unless <paramref name="ignoreUnknown"/>: a spec
    /// written for a newer kernel may name capabilities this one lacks (runc ignores them with a warning).</summary>
    public static ulong Mask(IEnumerable<string>? names, bool ignoreUnknown = true)
    {
        ulong mask = 0;
        foreach (var n in names ?? [])
        {
            if (TryGetNumber(n, out var bit)) mask |= 1UL << bit;
            else if (!ignoreUnknown) throw BerthException.Invalid($"unknown capability: \"{n}\"");
        }
        return mask;
    }
}
