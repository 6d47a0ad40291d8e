using Berth.Oci.Errors;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Runtime.Spec;

/// <summary>A host device node for a container: its type, numbers, mode and owner, for the container's device list
/// and its device cgroup.</summary>
public static class HostDevices
{
    /// <summary>The device node at <paramref name="host"/> (an absolute path), to appear at <paramref name="container"/>
    /// with the cgroup <paramref name="permissions"/>.</summary>
    public static DeviceMapping Lookup(string host, string container, string permissions)
    {
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

    /// <summary>The major and minor numbers of the block device at <paramref name="path"/> (the block I/O weights
    /// and throttles name devices by number); dockerd's <c>stat PATH: …</c> when it is not one.</summary>
    public static (long Major, long Minor) BlockDevice(string path)
    {
        if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, out var st) != 0)
            throw BerthException.Invalid($"stat {path}: {Berth.Interop.Errno.Describe(Berth.Interop.Errno.Last).ToLowerInvariant()}");
        if ((st.stx_mode & S_IFMT) != S_IFBLK) throw BerthException.Invalid($"{path} is not a block device");
        return (st.stx_rdev_major, st.stx_rdev_minor);
    }
}
