// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000,
        SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct cmsghdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint sendmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint recvmsg(int sockfd, msghdr* msg, int flags);

    internal static unsafe (SafeFdHandle, SafeFdHandle) SocketPair(int type)
    {
        var sv = stackalloc int[2];
        CheckIo(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), "socketpair");
        return (new SafeFdHandle(sv[0]), new SafeFdHandle(sv[1]));
    }

    /// <summary>Sends <paramref name="data"/> (at least one byte) and optionally one descriptor as SCM_RIGHTS.</summary>
    internal static unsafe void SendWithFd(SafeFdHandle socket, ReadOnlySpan<byte> data, SafeFdHandle? fd)
    {
        var control = stackalloc byte[64];
        new Span<byte>(control, 64).Clear();
        fixed (byte* p = data)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)data.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1 };
            if (fd is not null)
            {
                var c = (cmsghdr*)control;
                c->cmsg_len = (nuint)(sizeof(cmsghdr) + sizeof(int));
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                *(int*)(control + sizeof(cmsghdr)) = fd.Fd;
                msg.msg_control = control;
                msg.msg_controllen = (nuint)(sizeof(cmsghdr) + 8);
            }
            while (true)
            {
                var n = (long)sendmsg(socket.Fd, &msg, MSG_NOSIGNAL);
                if (n < 0 && Last == EINTR) continue;
                CheckIo(n, "sendmsg");
                if (n != data.Length) throw new SyscallException(EIO, "sendmsg", "short write");
                return;
            }
        }
    }

    /// <summary>Receives one message; a descriptor passed with it (SCM_RIGHTS) is returned close-on-exec.</summary>
    internal static unsafe int ReceiveWithFd(SafeFdHandle socket, Span<byte> buffer, out SafeFdHandle? fd)
    {
        fd = null;
        var control = stackalloc byte[64];
        fixed (byte* p = buffer)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)buffer.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
            long n;
            while (true)
            {
                n = (long)recvmsg(socket.Fd, &msg, MSG_CMSG_CLOEXEC);
                if (n < 0 && Last == EINTR) continue;
                CheckIo(n, "recvmsg");
                break;
            }
            if (msg.msg_controllen >= (nuint)sizeof(cmsghdr))
            {
                var c = (cmsghdr*)control;
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                    fd = new SafeFdHandle(*(int*)(control + sizeof(cmsghdr)));
            }
            return (int)n;
        }
    }
}
