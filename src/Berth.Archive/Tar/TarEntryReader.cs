using System.Buffers.Text;
using System.Text;
using Berth.Oci.Errors;

namespace Berth.Archive.Tar;

/// <summary>
/// A streaming reader of POSIX ustar, PAX and GNU tar archives over a non-seekable stream, with one large
/// buffer that serves both headers and file data (callers write data straight out of it). Extension headers
/// (PAX 'x'/'g', GNU 'L'/'K') larger than the limit are refused before a byte of them is buffered.
/// Everything it rejects is a <see cref="BerthException"/>: InvalidArgument for what is not a tar, DataLoss
/// for a truncated or corrupt one, NotImplemented for sparse files.
/// </summary>
internal sealed class TarEntryReader
{
    private const int BlockSize = 512;

    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private readonly long _maxHeaderBytes;
    private int _start;
    private int _end;
    private long _position;
    private bool _eof;
    private bool _done;
    private long _remaining;
    private int _padding;
    private string? _previous;

    public TarEntryReader(Stream stream, long maxHeaderBytes, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _maxHeaderBytes = Math.Min(maxHeaderBytes, Array.MaxLength);
        _buffer = new byte[Math.Max(bufferSize, 64 * BlockSize)];
    }

    public TarHeader Current { get; } = new();

    /// <summary>Bytes of the archive consumed so far.</summary>
    public long Position => _position;

    /// <summary>Data bytes of the current entry not yet read.</summary>
    public long Remaining => _remaining;

    /// <summary>Advances to the next member. Returns false after the end-of-archive marker (the rest of the
    /// stream is then read and discarded, so a hashing stream underneath sees every byte).</summary>
    public bool MoveNext(CancellationToken ct)
    {
        if (_done) return false;
        SkipData(ct);
        if (Current.Name.Length > 0) _previous = Current.DisplayName;

        TarHeader h = Current;
        h.Xattrs.Clear();
        byte[]? longName = null, longLink = null, paxPath = null, paxLinkPath = null;
        long paxSize = -1, paxUid = -1, paxGid = -1;
        long paxMtime = long.MinValue;
        uint paxMtimeNs = 0;
        bool sawExtension = false;
        long entryOffset = _position;

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            long offset = _position;
            if (!Ensure(BlockSize, ct))
            {
                if (_end == _start && !sawExtension)
                {
                    // No end-of-archive marker: Go's archive/tar (and so Docker) accepts this too.
                    _done = true;
                    return false;
                }

                throw Truncated($"header at offset {offset} is cut short");
            }

            ReadOnlySpan<byte> block = _buffer.AsSpan(_start, BlockSize);
            if (!block.ContainsAnyExcept((byte)0))
            {
                if (sawExtension) throw Corrupt($"extension header at offset {entryOffset} is followed by the end of the archive");
                Consume(BlockSize);
                _done = true;
                Drain(ct);
                return false;
            }

            VerifyChecksum(block, offset);
            byte type = block[156];
            long size = ParseNumber(block.Slice(124, 12), "size", offset);
            if (size < 0) throw Corrupt($"header at offset {offset} has a negative size");

            if (type is TarEntryType.PaxExtended or TarEntryType.PaxGlobal or TarEntryType.GnuLongName or TarEntryType.GnuLongLink)
            {
                if (size > _maxHeaderBytes)
                {
                    string kind = type switch
                    {
                        TarEntryType.PaxExtended => "PAX extended header",
                        TarEntryType.PaxGlobal => "PAX global header",
                        TarEntryType.GnuLongName => "GNU long name",
                        _ => "GNU long link name",
                    };
                    throw new BerthException(ErrorKind.InvalidArgument,
                        $"tar entry \"{CString(block[..100])}\" at offset {offset}: {kind} of {size} bytes exceeds the " +
                        $"limit of {_maxHeaderBytes} bytes");
                }

                Consume(BlockSize);
                byte[] data = ReadExtension((int)size, offset, ct);
                sawExtension = true;
                switch (type)
                {
                    case TarEntryType.PaxExtended:
                        ParsePax(data, offset, ref paxPath, ref paxLinkPath, ref paxSize, ref paxUid, ref paxGid, ref paxMtime, ref paxMtimeNs);
                        break;
                    case TarEntryType.GnuLongName:
                        longName = TrimNul(data);
                        break;
                    case TarEntryType.GnuLongLink:
                        longLink = TrimNul(data);
                        break;
                    default:
                        break; // PAX global headers are ignored, as Docker and containerd do.
                }

                continue;
            }

            if (type == TarEntryType.GnuSparse)
            {
                throw new BerthException(ErrorKind.NotImplemented,
                    $"tar entry \"{CString(block[..100])}\" at offset {offset}: GNU sparse files are not supported");
            }

            ReadOnlySpan<byte> magic = block.Slice(257, 8);
            bool posix = magic.StartsWith("ustar\0"u8);
            bool gnu = magic.SequenceEqual("ustar  \0"u8);
            byte[] name = CStringBytes(block[..100]);
            if (posix && block[345] != 0)
            {
                byte[] prefix = CStringBytes(block.Slice(345, 155));
                name = [.. prefix, (byte)'/', .. name];
            }

            h.Name = paxPath ?? longName ?? name;
            h.LinkName = paxLinkPath ?? longLink ?? CStringBytes(block.Slice(157, 100));
            h.TypeFlag = type;
            h.Mode = (uint)(ParseNumber(block.Slice(100, 8), "mode", offset) & 0xFFF);
            h.Uid = paxUid >= 0 ? paxUid : ParseNumber(block.Slice(108, 8), "uid", offset);
            h.Gid = paxGid >= 0 ? paxGid : ParseNumber(block.Slice(116, 8), "gid", offset);
            h.Size = paxSize >= 0 ? paxSize : size;
            if (paxMtime != long.MinValue)
            {
                h.MtimeSeconds = paxMtime;
                h.MtimeNanoseconds = paxMtimeNs;
            }
            else
            {
                h.MtimeSeconds = ParseNumber(block.Slice(136, 12), "mtime", offset);
                h.MtimeNanoseconds = 0;
            }

            h.DevMajor = posix || gnu ? (uint)ParseNumber(block.Slice(329, 8), "devmajor", offset) : 0;
            h.DevMinor = posix || gnu ? (uint)ParseNumber(block.Slice(337, 8), "devminor", offset) : 0;
            h.Offset = entryOffset;

            // Compat: pre-POSIX (v7) archives mark directories only by a trailing slash.
            if (type is TarEntryType.Regular or TarEntryType.RegularV7 && h.Name.Length > 0 && h.Name[^1] == (byte)'/')
            {
                h.TypeFlag = TarEntryType.Directory;
            }

            Consume(BlockSize);
            // As Go's archive/tar: links, devices, directories and FIFOs carry no data whatever the size says.
            bool headerOnly = h.TypeFlag is TarEntryType.HardLink or TarEntryType.SymbolicLink or TarEntryType.CharDevice
                or TarEntryType.BlockDevice or TarEntryType.Directory or TarEntryType.Fifo;
            long dataSize = headerOnly ? 0 : h.Size;
            if (headerOnly) h.Size = 0;
            _remaining = dataSize;
            _padding = (int)((BlockSize - (dataSize % BlockSize)) % BlockSize);
            return true;
        }
    }

    /// <summary>The next piece of the current entry's data, valid until the next call; empty at its end.</summary>
    public ReadOnlySpan<byte> ReadChunk(CancellationToken ct)
    {
        if (_remaining == 0) return [];
        if (_start == _end)
        {
            ct.ThrowIfCancellationRequested();
            _start = _end = 0;
            int read = _eof ? 0 : _stream.Read(_buffer, 0, _buffer.Length);
            if (read == 0)
            {
                _eof = true;
                throw Truncated($"entry \"{Current.DisplayName}\" ends {_remaining} bytes before its declared size of {Current.Size}");
            }

            _end = read;
        }

        int n = (int)Math.Min(_end - _start, _remaining);
        ReadOnlySpan<byte> chunk = _buffer.AsSpan(_start, n);
        Consume(n);
        _remaining -= n;
        return chunk;
    }

    private void SkipData(CancellationToken ct)
    {
        while (_remaining > 0) ReadChunk(ct);
        if (_padding > 0)
        {
            if (!Ensure(_padding, ct)) throw Truncated($"entry \"{Current.DisplayName}\" is missing its padding");
            Consume(_padding);
            _padding = 0;
        }
    }

    private byte[] ReadExtension(int size, long offset, CancellationToken ct)
    {
        byte[] data = new byte[size];
        int done = 0;
        while (done < size)
        {
            if (!Ensure(1, ct)) throw Truncated($"extension header at offset {offset} is cut short");
            int n = Math.Min(_end - _start, size - done);
            _buffer.AsSpan(_start, n).CopyTo(data.AsSpan(done));
            Consume(n);
            done += n;
        }

        int padding = (BlockSize - (size % BlockSize)) % BlockSize;
        if (padding > 0)
        {
            if (!Ensure(padding, ct)) throw Truncated($"extension header at offset {offset} is cut short");
            Consume(padding);
        }

        return data;
    }

    private void ParsePax(ReadOnlySpan<byte> data, long offset, ref byte[]? path, ref byte[]? linkPath, ref long size,
        ref long uid, ref long gid, ref long mtime, ref uint mtimeNs)
    {
        while (!data.IsEmpty && data[0] != 0)
        {
            int space = data.IndexOf((byte)' ');
            if (space <= 0 || !Utf8Parser.TryParse(data[..space], out int length, out int used) || used != space ||
                length <= space + 2 || length > data.Length || data[length - 1] != (byte)'\n')
            {
                throw Corrupt($"malformed PAX record in the extension header at offset {offset}");
            }

            ReadOnlySpan<byte> record = data[(space + 1)..(length - 1)];
            data = data[length..];
            int eq = record.IndexOf((byte)'=');
            if (eq <= 0) throw Corrupt($"malformed PAX record in the extension header at offset {offset}");
            ReadOnlySpan<byte> key = record[..eq];
            ReadOnlySpan<byte> value = record[(eq + 1)..];
            if (key.StartsWith("SCHILY.xattr."u8))
            {
                Current.Xattrs.Add(new(Encoding.UTF8.GetString(key["SCHILY.xattr."u8.Length..]), value.ToArray()));
                continue;
            }

            if (key.StartsWith("GNU.sparse."u8))
            {
                throw new BerthException(ErrorKind.NotImplemented,
                    $"tar entry at offset {offset}: PAX sparse files (GNU.sparse.*) are not supported");
            }

            // An empty value deletes the record: the header field applies again.
            if (value.IsEmpty) continue;
            if (key.SequenceEqual("path"u8)) path = value.ToArray();
            else if (key.SequenceEqual("linkpath"u8)) linkPath = value.ToArray();
            else if (key.SequenceEqual("size"u8)) size = PaxNumber(value, "size", offset);
            else if (key.SequenceEqual("uid"u8)) uid = PaxNumber(value, "uid", offset);
            else if (key.SequenceEqual("gid"u8)) gid = PaxNumber(value, "gid", offset);
            else if (key.SequenceEqual("mtime"u8)) ParsePaxTime(value, offset, out mtime, out mtimeNs);
        }
    }

    private static long PaxNumber(ReadOnlySpan<byte> value, string field, long offset)
    {
        if (!Utf8Parser.TryParse(value, out long n, out int used) || used != value.Length || n < 0)
        {
            throw Corrupt($"PAX record {field} at offset {offset} is not a number");
        }

        return n;
    }

    private static void ParsePaxTime(ReadOnlySpan<byte> value, long offset, out long seconds, out uint nanoseconds)
    {
        int dot = value.IndexOf((byte)'.');
        ReadOnlySpan<byte> whole = dot < 0 ? value : value[..dot];
        if (!Utf8Parser.TryParse(whole, out seconds, out int used) || used != whole.Length)
        {
            throw Corrupt($"PAX record mtime at offset {offset} is not a time");
        }

        nanoseconds = 0;
        if (dot >= 0)
        {
            ReadOnlySpan<byte> fraction = value[(dot + 1)..];
            uint scale = 100_000_000;
            foreach (byte b in fraction)
            {
                if (b is < (byte)'0' or > (byte)'9') throw Corrupt($"PAX record mtime at offset {offset} is not a time");
                nanoseconds += (uint)(b - '0') * scale;
                scale /= 10;
            }

            // "-1.5" means 1.5 s before the epoch.
            if (value.Length > 0 && value[0] == (byte)'-' && nanoseconds > 0)
            {
                seconds -= 1;
                nanoseconds = 1_000_000_000 - nanoseconds;
            }
        }
    }

    private void VerifyChecksum(ReadOnlySpan<byte> block, long offset)
    {
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }

        long stored;
        try
        {
            stored = ParseNumber(block.Slice(148, 8), "checksum", offset);
        }
        catch (BerthException)
        {
            stored = -1;
        }

        if (stored == unsignedSum || stored == signedSum) return;
        if (offset == 0)
        {
            throw new BerthException(ErrorKind.InvalidArgument, "not a tar archive: the first 512-byte header has a bad checksum");
        }

        throw Corrupt($"bad header checksum at offset {offset}{After()}");
    }

    /// <summary>A tar number: octal text, or base-256 when the high bit of the first byte is set (GNU, star).</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field, string name, long offset)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            bool negative = (field[0] & 0x40) != 0;
            long value = 0;
            for (int i = 0; i < field.Length; i++)
            {
                byte b = i == 0 ? (byte)(field[0] & 0x7F) : field[i];
                if (negative) b = (byte)~b;
                if (value > (long.MaxValue >> 8)) throw Corrupt($"header field {name} at offset {offset} overflows");
                value = (value << 8) | b;
            }

            return negative ? -value - 1 : value;
        }

        int start = 0;
        while (start < field.Length && field[start] is (byte)' ' or 0) start++;
        long result = 0;
        int j = start;
        for (; j < field.Length && field[j] is >= (byte)'0' and <= (byte)'7'; j++)
        {
            if (result > (long.MaxValue >> 3)) throw Corrupt($"header field {name} at offset {offset} overflows");
            result = (result << 3) | (long)(field[j] - '0');
        }

        for (; j < field.Length; j++)
        {
            if (field[j] is not ((byte)' ' or 0)) throw Corrupt($"header field {name} at offset {offset} is not an octal number");
        }

        return result;
    }

    private bool Ensure(int count, CancellationToken ct)
    {
        if (_end - _start >= count) return true;
        if (_buffer.Length - _start < count)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < count && !_eof)
        {
            ct.ThrowIfCancellationRequested();
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0) _eof = true;
            _end += read;
        }

        return _end - _start >= count;
    }

    private void Consume(int count)
    {
        _start += count;
        _position += count;
        if (_start == _end) _start = _end = 0;
    }

    private void Drain(CancellationToken ct)
    {
        _start = _end = 0;
        while (!_eof)
        {
            ct.ThrowIfCancellationRequested();
            int read = _stream.Read(_buffer, 0, _buffer.Length);
            if (read == 0) _eof = true;
            _position += read;
        }
    }

    private string After() => _previous is null ? "" : $" (after entry \"{_previous}\")";

    private BerthException Truncated(string what) =>
        new(ErrorKind.DataLoss, $"tar archive truncated: {what}{(what.Contains("entry \"") ? "" : After())}");

    private static BerthException Corrupt(string what) => new(ErrorKind.DataLoss, $"corrupt tar archive: {what}");

    private static byte[] TrimNul(byte[] data)
    {
        int n = data.AsSpan().IndexOf((byte)0);
        return n < 0 ? data : data[..n];
    }

    private static byte[] CStringBytes(ReadOnlySpan<byte> field)
    {
        int n = field.IndexOf((byte)0);
        return (n < 0 ? field : field[..n]).ToArray();
    }

    private static string CString(ReadOnlySpan<byte> field) => Encoding.UTF8.GetString(CStringBytes(field));
}
