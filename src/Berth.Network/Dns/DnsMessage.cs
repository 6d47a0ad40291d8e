using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.Network.Dns;

/// <summary>The question of a DNS query (RFC 1035 §4.1.2): the name as asked (case kept, no trailing dot), its type
/// and class, and the raw bytes of the question section, echoed in the answer.</summary>
public sealed record DnsQuestion(string Name, ushort Type, ushort Class);

/// <summary>The little of the DNS wire format (RFC 1035 §4) a network's resolver needs: reading a query's header and
/// its one question, and writing an answer of A, AAAA or PTR records, or an empty one, or an error. Every read is
/// bounds-checked: a packet that is not a well-formed query is <see cref="DnsParse.Malformed"/> (answered FORMERR
/// when its header can be read) or <see cref="DnsParse.Ignore"/> (a response, or too short to answer), never an
/// exception. EDNS (an OPT record in the additional section) is ignored: answers stay within 512 bytes over UDP and
/// set TC beyond, and the client retries over TCP.</summary>
public static class DnsMessage
{
    public const ushort TypeA = 1, TypePtr = 12, TypeAaaa = 28, ClassIn = 1;
    public const int HeaderLength = 12, MaxUdpLength = 512, MaxNameLength = 255, MaxLabelLength = 63;
    public const byte RcodeNoError = 0, RcodeFormErr = 1, RcodeServFail = 2, RcodeNxDomain = 3, RcodeNotImp = 4, RcodeRefused = 5;
    /// <summary>docker's TTL for the names it answers itself (reference §3.2).</summary>
    public const uint LocalTtl = 600;

    /// <summary>Reads <paramref name="packet"/> as a query with exactly one question.</summary>
    public static DnsParse TryParseQuery(ReadOnlySpan<byte> packet, out ushort id, out DnsQuestion? question, out int questionEnd)
    {
        id = 0;
        question = null;
        questionEnd = 0;
        if (packet.Length < HeaderLength) return DnsParse.Ignore;
        id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        // A response sent to us (QR set) is never answered: two resolvers must not bounce packets forever.
        if ((flags & 0x8000) != 0) return DnsParse.Ignore;
        if (Opcode(flags) != 0) return DnsParse.NotImplemented;
        var qdcount = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (qdcount != 1) return DnsParse.Malformed;
        var offset = HeaderLength;
        if (!TryReadName(packet, ref offset, out var name)) return DnsParse.Malformed;
        if (offset + 4 > packet.Length) return DnsParse.Malformed;
        var type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        var cls = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        questionEnd = offset + 4;
        question = new DnsQuestion(name, type, cls);
        return DnsParse.Query;
    }

    private static int Opcode(ushort flags) => (flags >> 11) & 0xF;

    /// <summary>A name in a question: labels of 1–63 bytes up to a zero byte, 255 bytes in all. Compression pointers
    /// are refused (a question has nothing before it to point to). Labels are read as ASCII; other bytes make the
    /// name one no container has.</summary>
    private static bool TryReadName(ReadOnlySpan<byte> packet, ref int offset, out string name)
    {
        name = "";
        var sb = new StringBuilder();
        var total = 0;
        while (true)
        {
            if (offset >= packet.Length) return false;
            int length = packet[offset++];
            if (length == 0) break;
            if (length > MaxLabelLength) return false;
            total += length + 1;
            if (total > MaxNameLength || offset + length > packet.Length) return false;
            if (sb.Length > 0) sb.Append('.');
            foreach (var b in packet.Slice(offset, length)) sb.Append(b is >= 0x21 and < 0x7F ? (char)b : '\uFFFD');
            offset += length;
        }
        name = sb.ToString();
        return true;
    }

    /// <summary>An answer to the query in <paramref name="query"/> (its ID, RD bit and question echoed, RA set, no AA,
    /// as docker's): <paramref name="rcode"/> and the records, A/AAAA from <paramref name="addresses"/> or PTR from
    /// <paramref name="pointers"/>, each for the question's name with <paramref name="ttl"/>. Over UDP the answer
    /// stops at <see cref="MaxUdpLength"/> with TC set.</summary>
    public static byte[] Answer(ReadOnlySpan<byte> query, int questionEnd, byte rcode, IReadOnlyList<IPAddress> addresses, IReadOnlyList<string> pointers, uint ttl, bool udp)
    {
        var buffer = new List<byte>(questionEnd + 64);
        buffer.AddRange(query[..questionEnd].ToArray());
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        var truncated = false;
        var count = 0;
        foreach (var a in addresses)
        {
            var data = a.GetAddressBytes();
            if (!TryAppend(buffer, a.AddressFamily == AddressFamily.InterNetwork ? TypeA : TypeAaaa, ttl, data, udp)) { truncated = true; break; }
            count++;
        }
        foreach (var p in pointers)
        {
            if (!TryEncodeName(p, out var data) || !TryAppend(buffer, TypePtr, ttl, data, udp)) { truncated = true; break; }
            count++;
        }
        var bytes = buffer.ToArray();
        var outFlags = (ushort)(0x8000 | (flags & 0x7900) | 0x0080 | (truncated && udp ? 0x0200 : 0) | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), outFlags);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), (ushort)count);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), 0);
        return bytes;
    }

    /// <summary>An error answer (FORMERR, NOTIMP, SERVFAIL, …) to a query whose header could be read: its ID and
    /// flags, the question echoed when it could be read (<paramref name="questionEnd"/> &gt; 0), no records.</summary>
    public static byte[] Error(ReadOnlySpan<byte> query, int questionEnd, byte rcode)
    {
        var length = questionEnd > 0 ? questionEnd : HeaderLength;
        var bytes = query[..length].ToArray();
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(0x8000 | (flags & 0x7900) | 0x0080 | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)(questionEnd > 0 ? 1 : 0));
        bytes.AsSpan(6, 6).Clear();
        return bytes;
    }

    // The question's name is at offset 12: every record points back to it (0xC00C).
    private static bool TryAppend(List<byte> buffer, ushort type, uint ttl, byte[] data, bool udp)
    {
        var length = 2 + 2 + 2 + 4 + 2 + data.Length;
        if (udp && buffer.Count + length > MaxUdpLength) return false;
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(head, 0xC00C);
        BinaryPrimitives.WriteUInt16BigEndian(head[2..], type);
        BinaryPrimitives.WriteUInt16BigEndian(head[4..], ClassIn);
        BinaryPrimitives.WriteUInt32BigEndian(head[6..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(head[10..], (ushort)data.Length);
        buffer.AddRange(head.ToArray());
        buffer.AddRange(data);
        return true;
    }

    /// <summary>A name in wire form (labels, a zero byte); false for a name DNS cannot carry.</summary>
    public static bool TryEncodeName(string name, out byte[] data)
    {
        data = [];
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var l = Encoding.ASCII.GetBytes(label);
            if (l.Length is 0 or > MaxLabelLength) return false;
            bytes.Add((byte)l.Length);
            bytes.AddRange(l);
        }
        bytes.Add(0);
        if (bytes.Count > MaxNameLength) return false;
        data = [.. bytes];
        return true;
    }

    /// <summary>The IPv4 address a <c>d.c.b.a.in-addr.arpa</c> name asks about; null for any other name.</summary>
    public static IPAddress? ReverseIPv4(string name)
    {
        const string suffix = ".in-addr.arpa";
        if (!name.TrimEnd('.').EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return null;
        var parts = name.TrimEnd('.')[..^suffix.Length].Split('.');
        if (parts.Length != 4) return null;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
            if (!byte.TryParse(parts[3 - i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bytes[i])) return null;
        return new IPAddress(bytes);
    }
}

/// <summary>What <see cref="DnsMessage.TryParseQuery"/> made of a packet.</summary>
public enum DnsParse
{
    /// <summary>A query with one question.</summary>
    Query,
    /// <summary>Not answered at all: too short for a header, or a response.</summary>
    Ignore,
    /// <summary>Answered FORMERR.</summary>
    Malformed,
    /// <summary>Another opcode than QUERY: answered NOTIMP.</summary>
    NotImplemented,
}
