using System.Security.Cryptography;
using Berth.Oci;

namespace Berth.Storage.Content;

/// <summary>Passes reads through, hashing every byte: the uncompressed digest (diff ID) of a layer is computed
/// while the unpacker reads it.</summary>
public sealed class HashingReadStream(Stream inner, bool leaveOpen = true, bool hash = true) : Stream
{
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n > 0)
        {
            _hash?.AppendData(buffer[..n]);
            BytesRead += n;
        }
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        int n = await inner.ReadAsync(buffer, ct);
        if (n > 0)
        {
            _hash?.AppendData(buffer.Span[..n]);
            BytesRead += n;
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    /// <summary>Reads what is left (tar padding, a gzip trailer) so the digest covers every byte.</summary>
    public void Drain()
    {
        var buf = new byte[1 << 16];
        while (Read(buf) > 0) { }
    }

    /// <summary>The digest of every byte read; call after <see cref="Drain"/>.</summary>
    public Digest Digest => Digest.FromSha256Hash((_hash ?? throw new InvalidOperationException("not hashing")).GetCurrentHash());

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
