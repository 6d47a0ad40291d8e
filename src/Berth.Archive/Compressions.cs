using System.IO.Compression;
using Berth.Oci.Errors;

namespace Berth.Archive;

/// <summary>
/// Detects and (de)compresses layer streams in-process: gzip through System.IO.Compression, zstd through
/// ZstdSharp. No external decompressor is ever run (CVE-2019-14271, CVE-2014-9357: they were resolved inside the
/// container). bzip2 and xz are detected but not decompressed yet.
/// </summary>
public static class Compressions
{
    /// <summary>Bytes <see cref="Detect"/> needs to tell every format apart.</summary>
    public const int MagicLength = 6;

    public static Compression Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) return Compression.Gzip;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD])) return Compression.Zstd;
        if (head.StartsWith("BZh"u8)) return Compression.Bzip2;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])) return Compression.Xz;
        return Compression.None;
    }

    /// <summary>Reads the first bytes of <paramref name="stream"/> to detect its compression, and replaces it with
    /// a stream that still yields those bytes (a seekable stream is rewound instead).</summary>
    public static Compression DetectAndWrap(ref Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] head = new byte[MagicLength];
        int n = 0;
        while (n < head.Length)
        {
            int read = stream.Read(head, n, head.Length - n);
            if (read == 0) break;
            n += read;
        }

        Compression compression = Detect(head.AsSpan(0, n));
        if (stream.CanSeek)
        {
            stream.Seek(-n, SeekOrigin.Current);
        }
        else
        {
            stream = new PrefixedStream(head.AsMemory(0, n), stream);
        }

        return compression;
    }

    /// <summary>Detects the compression of <paramref name="stream"/> and returns its decompressed content.</summary>
    public static Stream OpenDecompressed(Stream stream, out Compression compression, bool leaveOpen = false)
    {
        Stream source = stream;
        compression = DetectAndWrap(ref source);
        // A wrapper made by DetectAndWrap owns nothing the caller sees except the original stream.
        return Decompress(source, compression, leaveOpen && ReferenceEquals(source, stream));
    }

    /// <summary>A stream of the decompressed content. Corrupt or truncated input surfaces as a
    /// <see cref="BerthException"/> (DataLoss) when read.</summary>
    public static Stream Decompress(Stream stream, Compression compression, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return compression switch
        {
            Compression.None => leaveOpen ? new PrefixedStream(ReadOnlyMemory<byte>.Empty, stream, leaveOpen: true) : stream,
            Compression.Gzip => GzipReader.Open(stream, leaveOpen),
            Compression.Zstd => new CheckedDecompressionStream(
                new ZstdSharp.DecompressionStream(stream, leaveOpen: leaveOpen), "zstd", gzipSource: null),
            Compression.Bzip2 => throw new BerthException(ErrorKind.NotImplemented, "bzip2 decompression is not supported"),
            Compression.Xz => throw new BerthException(ErrorKind.NotImplemented, "xz decompression is not supported"),
            _ => throw new ArgumentOutOfRangeException(nameof(compression)),
        };
    }

    /// <summary>A stream that compresses what is written to it into <paramref name="stream"/>. Gzip uses the
    /// fastest level, zstd level 3 (its default), unless <paramref name="level"/> says otherwise.</summary>
    public static Stream Compress(Stream stream, Compression compression, bool leaveOpen = false, int? level = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return compression switch
        {
            Compression.None => new PrefixedStream(ReadOnlyMemory<byte>.Empty, stream, leaveOpen),
            Compression.Gzip => new GZipStream(stream, GzipOptions(level), leaveOpen),
            Compression.Zstd => new ZstdSharp.CompressionStream(stream, level ?? 3, 1 << 20, leaveOpen),
            _ => throw new BerthException(ErrorKind.NotImplemented, $"{compression} compression is not supported"),
        };
    }

    private static ZLibCompressionOptions GzipOptions(int? level) => new()
    {
        CompressionLevel = level ?? 1,
        CompressionStrategy = ZLibCompressionStrategy.Default,
    };

    public static string Describe(Compression compression) => compression switch
    {
        Compression.None => "uncompressed",
        Compression.Gzip => "gzip",
        Compression.Zstd => "zstd",
        Compression.Bzip2 => "bzip2",
        Compression.Xz => "xz",
        _ => compression.ToString(),
    };
}
