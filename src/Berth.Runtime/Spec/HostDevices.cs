using Berth.Oci.Errors;
using static Berth.Runtime.Interop.Interop;

namespace Berth.Runtime.Spec;

/// <summary>docker's <c>--device /dev/host[:/dev/container][:permissions]</c>: the host node's type, numbers, mode and
/// owner, for the container's device list and its device cgroup.</summary>
public static class HostDevices
{
    /// <summary>The host path, the path in the container and the cgroup permissions a <c>--device</c> names.</summary>
    public static (string Host, string Container, string Permissions) Split(string spec)
    {
        var parts = spec.Split(':');
        static bool IsPermissions(string p) => p.Length is > 0 and <= 3 && p.All(c => c is 'r' or 'w' or 'm');
        return parts switch
        {
            [var h] => (h, h, "rwm"),
            [var h, var p] when IsPermissions(p) => (h, h, p),
            [var h, var c] => (h, c, "rwm"),
            [var h, var c, var p] when IsPermissions(p) => (h, c, p),
            _ => throw BerthException.Invalid($"invalid argument \"{spec}\" for \"--device\" flag: bad format for path: {spec}"),
        };
    }

    /// <summary><see cref="Split"/>, and the host node's type, numbers, mode and owner.</summary>
    public static DeviceMapping Parse(string spec)
    {
        var (host, container, permissions) = Split(spec);
        if (!host.StartsWith('/') || !container.StartsWith('/'))
            throw BerthException.Invalid($"invalid argument \"{spec}\" for \"--device\" flag: {(host.StartsWith('/') ? container : host)} is not an absolute path");
        if (statx(AT_FDCWD, host, 0, STATX_BASIC_STATS, out var st) != 0)
            throw BerthException.Invalid($"error gathering device information while adding custom device \"{host}\": no such file or directory");
        var type = (st.stx_mode & S_IFMT) switch
        {
            S_IFCHR => "c",
            S_IFBLK => "b",
            _ => throw BerthException.Invalid($"error gathering device information while adding custom device \"{host}\": not a device node"),
        };
        return new DeviceMapping(container, type, st.stx_rdev_major, st.stx_rdev_minor, (uint)(st.stx_mode & 0xFFF), st.stx_uid, st.stx_gid, permissions);
    }
}
