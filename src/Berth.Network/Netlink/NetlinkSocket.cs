using System.Buffers.Binary;
using Berth.Oci.Errors;
using static Berth.Network.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Network.Netlink;

/// <summary>An <c>AF_NETLINK</c>/<c>NETLINK_ROUTE</c> socket. A netlink socket belongs to the network namespace it
/// was opened in, whatever thread later uses it: <see cref="OpenIn"/> opens one inside another namespace, so a
/// container's interfaces are configured without moving any thread of ours for longer than the <c>socket</c> call.</summary>
internal sealed class NetlinkSocket : IDisposable
{
    private readonly int _fd;
    private uint _sequence;

    private NetlinkSocket(int fd) => _fd = fd;

    /// <summary>A socket in this process's (the calling thread's) network namespace.</summary>
    public static NetlinkSocket Open() => new(CheckIo(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "socket", "AF_NETLINK"));

    /// <summary>A socket in the network namespace at <paramref name="netnsPath"/> (<c>/proc/PID/ns/net</c> or a bind
    /// mount of one), opened on a thread of its own that joins that namespace, opens the socket and goes back.</summary>
    public static NetlinkSocket OpenIn(string netnsPath)
    {
        NetlinkSocket? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = InNamespace(netnsPath, Open);
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { Name = "berth-netns", IsBackground = true };
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
        return result!;
    }

    /// <summary>Runs <paramref name="body"/> on the calling thread inside the namespace at <paramref name="netnsPath"/>
    /// and moves the thread back. A thread that cannot go back is left to die with an exception (it is never one
    /// of the pool's: only <see cref="OpenIn"/>'s own thread calls this).</summary>
    private static T InNamespace<T>(string netnsPath, Func<T> body)
    {
        var own = CheckIo(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC, 0), "open", "/proc/thread-self/ns/net");
        try
        {
            var target = CheckIo(open(netnsPath, O_RDONLY | O_CLOEXEC, 0), "open", netnsPath);
            try
            {
                CheckIo(setns(target, CLONE_NEWNET), "setns", netnsPath);
            }
            finally
            {
                close(target);
            }
            try
            {
                return body();
            }
            finally
            {
                CheckIo(setns(own, CLONE_NEWNET), "setns", "back to berth's network namespace");
            }
        }
        finally
        {
            close(own);
        }
    }

    /// <summary>Sends a request with NLM_F_ACK and waits for its acknowledgement; a negative errno in it throws,
    /// unless it is one of <paramref name="tolerated"/> (EEXIST for "already there").</summary>
    public int Request(NetlinkMessage message, string what, params int[] tolerated)
    {
        var seq = ++_sequence;
        Send(message.ToArray(seq));
        var buffer = new byte[65536];
        while (true)
        {
            var n = Receive(buffer);
            var offset = 0;
            while (offset + 16 <= n)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                var mseq = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8));
                if (len < 16) break;
                if (mseq == seq && type == NetlinkMessage.NLMSG_ERROR)
                {
                    var errno = -BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + 16));
                    if (errno == 0 || tolerated.Contains(errno)) return errno;
                    throw new BerthException(KindOf(errno), $"{what}: {Describe(errno)}");
                }
                offset += (len + 3) & ~3;
            }
        }
    }

    /// <summary>Sends a GET request and collects every reply message's payload (after the nlmsghdr) until the
    /// reply (one object) or NLMSG_DONE (a dump); a negative errno throws unless tolerated (then the list is empty).</summary>
    public List<byte[]> Query(NetlinkMessage message, string what, bool dump, params int[] tolerated)
    {
        var seq = ++_sequence;
        Send(message.ToArray(seq));
        var replies = new List<byte[]>();
        var buffer = new byte[65536];
        while (true)
        {
            var n = Receive(buffer);
            var offset = 0;
            while (offset + 16 <= n)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 6));
                var mseq = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8));
                if (len < 16) break;
                if (mseq == seq)
                {
                    if (type == NetlinkMessage.NLMSG_DONE) return replies;
                    if (type == NetlinkMessage.NLMSG_ERROR)
                    {
                        var errno = -BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + 16));
                        if (errno == 0 || tolerated.Contains(errno)) return replies;
                        throw new BerthException(KindOf(errno), $"{what}: {Describe(errno)}");
                    }
                    replies.Add(buffer.AsSpan(offset + 16, len - 16).ToArray());
                    // A GET of one object answers with one message (no NLM_F_MULTI, no NLMSG_DONE).
                    if (!dump && (flags & 0x2) == 0) return replies;
                }
                offset += (len + 3) & ~3;
            }
        }
    }

    private unsafe void Send(byte[] bytes)
    {
        fixed (byte* p = bytes)
            if (send(_fd, p, bytes.Length, 0) < 0) CheckIo(-1, "send", "netlink");
    }

    private unsafe int Receive(byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = recv(_fd, p, buffer.Length, 0);
            if (n < 0) CheckIo(-1, "recv", "netlink");
            return (int)n;
        }
    }

    public void Dispose() => close(_fd);
}
