using System.Buffers.Binary;
using System.IO.Compression;
using Berth.Oci.Errors;

namespace Berth.Archive;

/// <summary>
/// Wraps a decompressor so corrupt or truncated input is a <see cref="BerthException"/> (DataLoss) naming the
/// format, never a raw InvalidDataException or EndOfStreamException.
/// </summary>
internal sealed class CheckedDecompressionStream(Stream decompressor, string format, TailRecordingStream? gzipSource) : Stream
{
    private long _produced;
    private bool _verified;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _produced;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = decompressor.Read(buffer);
        }
        catch (Exception e) when (IsFormatError(e))
        {
            throw Translate(e);
        }

        return Account(n, buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await decompressor.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsFormatError(e))
        {
            throw Translate(e);
        }

        return Account(n, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Account(int n, int requested)
    {
        _produced += n;
        if (n == 0 && requested > 0 && !_verified)
        {
            _verified = true;
            gzipSource?.VerifyGzipTrailer(_produced);
        }

        return n;
    }

    private static bool IsFormatError(Exception e) =>
        e is InvalidDataException or EndOfStreamException or ZstdSharp.ZstdException;

    private BerthException Translate(Exception e) => e is EndOfStreamException
        ? new BerthException(ErrorKind.DataLoss, $"{format} stream is truncated after {_produced} decompressed bytes", e)
        : new BerthException(ErrorKind.DataLoss, $"{format} stream is corrupt after {_produced} decompressed bytes: {e.Message}", e);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) decompressor.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// Remembers the last 8 bytes read from a gzip stream. GZipStream returns end-of-stream without complaint when its
/// input stops early, so the reader checks the trailer's ISIZE (length mod 2^32) against what it produced.
/// </summary>
internal sealed class TailRecordingStream(Stream inner, bool leaveOpen) : Stream
{
    private const int MinimumGzipSize = 18;
    private readonly byte[] _tail = new byte[8];
    private long _count;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _count;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Record(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Record(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Record(ReadOnlySpan<byte> data)
    {
        _count += data.Length;
        if (data.Length >= 8)
        {
            data[^8..].CopyTo(_tail);
        }
        else if (data.Length > 0)
        {
            _tail.AsSpan(data.Length).CopyTo(_tail);
            data.CopyTo(_tail.AsSpan(8 - data.Length));
        }
    }

    /// <summary>Known weakness: a multi-member gzip (concatenated streams) fails this check.</summary>
    public void VerifyGzipTrailer(long produced)
    {
        uint isize = BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4));
        if (_count >= MinimumGzipSize && isize == (uint)produced) return;
        throw new BerthException(ErrorKind.DataLoss,
            $"gzip stream is truncated: it ended after {_count} compressed bytes without a trailer matching the " +
            $"{produced} bytes decompressed");
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen) inner.Dispose();
        base.Dispose(disposing);
    }
}

internal static class GzipReader
{
    public static Stream Open(Stream stream, bool leaveOpen)
    {
        TailRecordingStream source = new(stream, leaveOpen);
        return new CheckedDecompressionStream(new GZipStream(source, CompressionMode.Decompress), "gzip", source);
    }
}
