using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Namespaces;

/// <summary>Brings the loopback device of a new network namespace up, as docker's network sandbox (libnetwork) and
/// CNI's loopback plugin do for every container: the kernel then gives <c>lo</c> 127.0.0.1/8 and ::1 by itself.
/// runc leaves <c>lo</c> down unless asked, so berth asks through a spec annotation that its own engine writes
/// (<see cref="Annotation"/>): an arbitrary OCI bundle keeps runc's behaviour.</summary>
internal static class Loopback
{
    /// <summary>The spec annotation ("up") that asks for it. Other OCI runtimes ignore it.</summary>
    public const string Annotation = "io.berth.network.loopback";

    public static bool IsRequested(Spec.RuntimeSpec spec) =>
        spec.Annotations?.TryGetValue(Annotation, out var v) == true && v == "up";

    /// <summary>SIOCSIFFLAGS with IFF_UP on "lo" of the calling thread's network namespace (needs CAP_NET_ADMIN
    /// there).</summary>
    public static unsafe void Up()
    {
        using var sock = new SafeFdHandle(CheckIo(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket(AF_INET)"));
        var req = default(ifreq);
        req.ifr_name[0] = (byte)'l';
        req.ifr_name[1] = (byte)'o';
        CheckIo(ioctl(sock.Fd, SIOCGIFFLAGS, &req), "ioctl(SIOCGIFFLAGS)", "lo");
        if ((req.ifr_flags & IFF_UP) != 0) return;
        req.ifr_flags |= IFF_UP;
        CheckIo(ioctl(sock.Fd, SIOCSIFFLAGS, &req), "ioctl(SIOCSIFFLAGS)", "lo");
    }
}
