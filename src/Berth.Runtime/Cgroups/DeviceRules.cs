using Berth.Runtime.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>The device cgroup rules a container gets: the spec's, then the devices every container may use, as runc
/// appends them (libcontainer/specconv AllowedDevices). A spec that denies all (runc's own default spec does) must
/// still let the init create and the command open /dev/null, /dev/zero, /dev/tty, the ptys and so on.</summary>
internal static class DeviceRules
{
    private static LinuxDeviceCgroup Char(long? major, long? minor, string access) =>
        new() { Allow = true, Type = "c", Major = major, Minor = minor, Access = access };

    /// <summary>runc's list, in runc's order.</summary>
    public static IReadOnlyList<LinuxDeviceCgroup> AlwaysAllowed { get; } =
    [
        Char(null, null, "m"),                                            // mknod of any character device
        new() { Allow = true, Type = "b", Access = "m" },                 // mknod of any block device
        Char(1, 3, "rwm"), Char(1, 8, "rwm"), Char(1, 7, "rwm"),          // null, random, full
        Char(5, 0, "rwm"), Char(1, 5, "rwm"), Char(1, 9, "rwm"),          // tty, zero, urandom
        Char(136, null, "rwm"), Char(5, 2, "rwm"),                        // /dev/pts/*, /dev/ptmx
        Char(10, 200, "rwm"),                                             // tun
    ];

    /// <summary>The rules to apply for <paramref name="spec"/>'s list; none when it has none (the cgroup's default,
    /// allow all, stays).</summary>
    public static IReadOnlyList<LinuxDeviceCgroup> For(IReadOnlyList<LinuxDeviceCgroup>? spec) =>
        spec is { Count: > 0 } rules ? [.. rules, .. AlwaysAllowed] : [];
}
