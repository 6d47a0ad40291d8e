namespace Berth.Runtime.Security;

/// <summary>The isolation defaults Docker's daemon writes into every spec (moby daemon/pkg/oci/defaults.go).</summary>
public static class DockerDefaults
{
    /// <summary>Paths over which /dev/null (files) or an empty read-only tmpfs (directories) is mounted.</summary>
    public static IReadOnlyList<string> MaskedPaths { get; } =
    [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ];

    public static IReadOnlyList<string> ReadonlyPaths { get; } =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The device cgroup allowlist (runc's AllowedDevices plus Docker's deny-all first).</summary>
    public static IReadOnlyList<Spec.LinuxDeviceCgroup> DeviceRules { get; } =
    [
        new() { Allow = false, Access = "rwm" },
        new() { Allow = true, Type = "c", Access = "m" },
        new() { Allow = true, Type = "b", Access = "m" },
        new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },   // null
        new() { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "rwm" },   // zero
        new() { Allow = true, Type = "c", Major = 1, Minor = 7, Access = "rwm" },   // full
        new() { Allow = true, Type = "c", Major = 1, Minor = 8, Access = "rwm" },   // random
        new() { Allow = true, Type = "c", Major = 1, Minor = 9, Access = "rwm" },   // urandom
        new() { Allow = true, Type = "c", Major = 5, Minor = 0, Access = "rwm" },   // tty
        new() { Allow = true, Type = "c", Major = 5, Minor = 1, Access = "rwm" },   // console
        new() { Allow = true, Type = "c", Major = 5, Minor = 2, Access = "rwm" },   // ptmx
        new() { Allow = true, Type = "c", Major = 136, Access = "rwm" },            // pts/*
        // No explicit "deny c 10:229" (fuse): everything not listed is denied already, and runc refuses a deny
        // that punches a hole in the "c *:* m" wildcard on cgroup v1.
    ];
}
