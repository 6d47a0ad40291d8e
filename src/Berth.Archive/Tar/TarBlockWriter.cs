using System.Text;

namespace Berth.Archive.Tar;

/// <summary>
/// Writes ustar headers, with a PAX extended header in front when a field does not fit (long or non-ASCII
/// names, large ids or sizes, xattrs), as Go's archive/tar does. Output is deterministic: PAX records are sorted,
/// the PAX header name holds no PID, and no atime/ctime is written. Everything goes through one large buffer
/// that file data is read straight into.
/// </summary>
internal sealed class TarBlockWriter
{
    public const int BlockSize = 512;
    private const long MaxOctal7 = 0x1FFFFF;        // 07777777
    private const long MaxOctal11 = 0x1FFFFFFFF;    // 077777777777

    private readonly Stream _output;
    private readonly byte[] _buffer;
    private int _length;

    public TarBlockWriter(Stream output, int bufferSize)
    {
        _output = output;
        _buffer = new byte[Math.Max(bufferSize, 16 * BlockSize)];
    }

    public long Position { get; private set; }

    public void WriteHeader(ReadOnlySpan<byte> name, byte type, uint mode, long uid, long gid, long size, long mtime,
        ReadOnlySpan<byte> linkName, uint devMajor, uint devMinor, List<KeyValuePair<string, byte[]>>? xattrs)
    {
        List<KeyValuePair<string, byte[]>>? pax = null;
        bool splitName = TrySplitName(name, out int prefixLength);
        if (!splitName) Add(ref pax, "path", name.ToArray());
        if (linkName.Length > 100 || !IsAscii(linkName)) Add(ref pax, "linkpath", linkName.ToArray());
        if (uid > MaxOctal7 || uid < 0) Add(ref pax, "uid", Encoding.ASCII.GetBytes(uid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (gid > MaxOctal7 || gid < 0) Add(ref pax, "gid", Encoding.ASCII.GetBytes(gid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (size > MaxOctal11) Add(ref pax, "size", Encoding.ASCII.GetBytes(size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (mtime > MaxOctal11 || mtime < 0) Add(ref pax, "mtime", Encoding.ASCII.GetBytes(mtime.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (xattrs is not null)
        {
            foreach ((string key, byte[] value) in xattrs) Add(ref pax, "SCHILY.xattr." + key, value);
        }

        if (pax is not null)
        {
            pax.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            byte[] records = PaxRecords(pax);
            Span<byte> paxHeader = Reserve(BlockSize);
            FillHeader(paxHeader, PaxHeaderName(name), 0, TarEntryType.PaxExtended, 0x1A4, 0, 0, records.Length, 0, [], 0, 0);
            WriteData(records);
            Pad(records.Length);
        }

        Span<byte> header = Reserve(BlockSize);
        FillHeader(header, name, splitName ? prefixLength : -1, type, mode, uid, gid, size, mtime, linkName, devMajor, devMinor);
    }

    /// <summary>Free space at the end of the buffer, for reading file data straight into it; call
    /// <see cref="Commit"/> with the bytes filled.</summary>
    public Span<byte> GetSpan()
    {
        if (_length == _buffer.Length) Flush();
        return _buffer.AsSpan(_length);
    }

    public void Commit(int count)
    {
        _length += count;
        Position += count;
    }

    public void WriteData(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Span<byte> free = GetSpan();
            int n = Math.Min(free.Length, data.Length);
            data[..n].CopyTo(free);
            Commit(n);
            data = data[n..];
        }
    }

    /// <summary>Zero-fills to the next 512-byte boundary after <paramref name="size"/> data bytes.</summary>
    public void Pad(long size)
    {
        int padding = (int)((BlockSize - (size % BlockSize)) % BlockSize);
        if (padding > 0) Reserve(padding);
    }

    /// <summary>Two zero blocks end the archive; then everything is flushed.</summary>
    public void Finish()
    {
        Reserve(2 * BlockSize);
        Flush();
        _output.Flush();
    }

    public void Flush()
    {
        if (_length == 0) return;
        _output.Write(_buffer, 0, _length);
        _length = 0;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count) Flush();
        Span<byte> span = _buffer.AsSpan(_length, count);
        span.Clear();
        Commit(count);
        return span;
    }

    private static void FillHeader(Span<byte> h, ReadOnlySpan<byte> name, int prefixLength, byte type, uint mode,
        long uid, long gid, long size, long mtime, ReadOnlySpan<byte> linkName, uint devMajor, uint devMinor)
    {
        if (prefixLength > 0)
        {
            name[..prefixLength].CopyTo(h.Slice(345, 155));
            name[(prefixLength + 1)..].CopyTo(h[..100]);
        }
        else
        {
            name[..Math.Min(name.Length, 100)].CopyTo(h[..100]);
        }

        Octal(h.Slice(100, 8), mode & 0xFFF);
        Octal(h.Slice(108, 8), uid is >= 0 and <= MaxOctal7 ? uid : 0);
        Octal(h.Slice(116, 8), gid is >= 0 and <= MaxOctal7 ? gid : 0);
        Octal(h.Slice(124, 12), size <= MaxOctal11 ? size : 0);
        Octal(h.Slice(136, 12), mtime is >= 0 and <= MaxOctal11 ? mtime : 0);
        h[156] = type;
        linkName[..Math.Min(linkName.Length, 100)].CopyTo(h.Slice(157, 100));
        "ustar\0"u8.CopyTo(h.Slice(257, 6));
        "00"u8.CopyTo(h.Slice(263, 2));
        Octal(h.Slice(329, 8), devMajor);
        Octal(h.Slice(337, 8), devMinor);

        h.Slice(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in h) sum += b;
        Octal(h.Slice(148, 7), sum); // six digits, NUL, and the space already there
    }

    /// <summary>Zero-padded octal digits and a terminating NUL, filling the field.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        int digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        field[digits] = 0;
    }

    /// <summary>True when the name fits the ustar name field, or its prefix and name fields split at a slash.</summary>
    private static bool TrySplitName(ReadOnlySpan<byte> name, out int prefixLength)
    {
        prefixLength = -1;
        if (!IsAscii(name)) return false;
        if (name.Length <= 100) return true;
        if (name.Length > 256) return false;
        // The last slash that leaves at most 100 bytes after it and at most 155 before it.
        for (int i = Math.Min(name.Length - 2, 155); i >= name.Length - 101 && i > 0; i--)
        {
            if (name[i] == (byte)'/')
            {
                prefixLength = i;
                return true;
            }
        }

        return false;
    }

    private static bool IsAscii(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (b is 0 or >= 0x80) return false;
        }

        return true;
    }

    private static byte[] PaxHeaderName(ReadOnlySpan<byte> name)
    {
        // Go's archive/tar spelling, "dir/PaxHeaders.0/file": fixed, where GNU tar puts a PID.
        ReadOnlySpan<byte> trimmed = name.Length > 0 && name[^1] == (byte)'/' ? name[..^1] : name;
        int slash = trimmed.LastIndexOf((byte)'/');
        byte[] full = [.. trimmed[..(slash + 1)], .. "PaxHeaders.0/"u8, .. trimmed[(slash + 1)..]];
        if (full.Length <= 100 && IsAscii(full)) return full;
        return "PaxHeaders.0/entry"u8.ToArray();
    }

    private static byte[] PaxRecords(List<KeyValuePair<string, byte[]>> records)
    {
        using MemoryStream data = new();
        foreach ((string key, byte[] value) in records)
        {
            byte[] keyBytes = Encoding.UTF8.GetBytes(key);
            // "%d %s=%s\n", where the length counts its own digits.
            int body = 1 + keyBytes.Length + 1 + value.Length + 1;
            int length = body + 1;
            while (length != body + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
            {
                length = body + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
            }

            data.Write(Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            data.WriteByte((byte)' ');
            data.Write(keyBytes);
            data.WriteByte((byte)'=');
            data.Write(value);
            data.WriteByte((byte)'\n');
        }

        return data.ToArray();
    }

    private static void Add(ref List<KeyValuePair<string, byte[]>>? pax, string key, byte[] value) =>
        (pax ??= []).Add(new(key, value));
}
