using System.Buffers.Binary;
using System.Text;

namespace Berth.Network.Netlink;

/// <summary>One netlink request being built: the <c>nlmsghdr</c>, a fixed family header (<c>ifinfomsg</c>,
/// <c>ifaddrmsg</c>, <c>rtmsg</c>) and nested <c>rtattr</c>s, each padded to 4 bytes as netlink(7) and rtnetlink(7)
/// lay them out (https://man7.org/linux/man-pages/man7/rtnetlink.7.html).</summary>
internal sealed class NetlinkMessage
{
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4, NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;

    private readonly List<byte> _bytes = new(128);
    private readonly Stack<int> _nests = new();

    public NetlinkMessage(ushort type, ushort flags)
    {
        _bytes.AddRange(new byte[16]);
        BinaryPrimitives.WriteUInt16LittleEndian(Span(4, 2), type);
        BinaryPrimitives.WriteUInt16LittleEndian(Span(6, 2), flags);
    }

    private Span<byte> Span(int offset, int length) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes).Slice(offset, length);

    public NetlinkMessage Raw(ReadOnlySpan<byte> data)
    {
        foreach (var b in data) _bytes.Add(b);
        Pad();
        return this;
    }

    /// <summary><c>struct ifinfomsg</c>: family, type, index, flags, change.</summary>
    public NetlinkMessage IfInfo(int index, uint flags = 0, uint change = 0, byte family = 0)
    {
        Span<byte> b = stackalloc byte[16];
        b[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], change);
        return Raw(b);
    }

    public NetlinkMessage Attr(ushort type, ReadOnlySpan<byte> value)
    {
        var start = _bytes.Count;
        _bytes.AddRange(new byte[4]);
        foreach (var x in value) _bytes.Add(x);
        BinaryPrimitives.WriteUInt16LittleEndian(Span(start, 2), (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(Span(start + 2, 2), type);
        Pad();
        return this;
    }

    public NetlinkMessage Attr(ushort type, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        return Attr(type, bytes);
    }

    public NetlinkMessage Attr(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Attr(type, b);
    }

    /// <summary>Opens a nested attribute; <see cref="EndNest"/> closes the innermost one.</summary>
    public NetlinkMessage BeginNest(ushort type)
    {
        _nests.Push(_bytes.Count);
        _bytes.AddRange(new byte[4]);
        BinaryPrimitives.WriteUInt16LittleEndian(Span(_bytes.Count - 2, 2), type);
        return this;
    }

    public NetlinkMessage EndNest()
    {
        var start = _nests.Pop();
        BinaryPrimitives.WriteUInt16LittleEndian(Span(start, 2), (ushort)(_bytes.Count - start));
        return this;
    }

    private void Pad()
    {
        while (_bytes.Count % 4 != 0) _bytes.Add(0);
    }

    /// <summary>The finished message with its length and sequence number.</summary>
    public byte[] ToArray(uint sequence)
    {
        var bytes = _bytes.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), sequence);
        return bytes;
    }
}
