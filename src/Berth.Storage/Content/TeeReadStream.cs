namespace Berth.Storage.Content;

/// <summary>Passes reads through and writes every byte read into a blob writer (which hashes it): the
/// compressed form of a layer is stored and digested while the unpacker reads it, in one pass. Reading more than
/// <c>limit</c> bytes fails at once, so a registry sending more than the manifest says cannot fill the disk.</summary>
public sealed class TeeReadStream(Stream inner, ContentWriter copy, long? limit) : Stream
{
    public long BytesRead { get; private set; }

    /// <summary>True once the source has reported its end.</summary>
    public bool Ended { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n == 0)
        {
            Ended = true;
            return 0;
        }
        BytesRead += n;
        if (limit is { } max && BytesRead > max)
            throw Oci.Errors.BerthException.DataLoss($"more than the {max} bytes expected");
        copy.Write(buffer[..n]);
        return n;
    }

    /// <summary>Reads what the unpacker left (a compressor's trailer, padding) so the blob is whole.</summary>
    public void Drain()
    {
        var buf = new byte[1 << 16];
        while (Read(buf) > 0) { }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
