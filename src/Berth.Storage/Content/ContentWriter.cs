using System.Security.Cryptography;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Storage.Content;

/// <summary>A write-only stream into the ingest area that hashes as it writes (one pass). Commit verifies size and
/// digest, fsyncs and renames into the store; dispose without commit removes the partial file.</summary>
public sealed class ContentWriter : Stream
{
    private readonly ContentStore _store;
    private readonly string _path;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;
    private bool _done;

    internal ContentWriter(ContentStore store, string path)
    {
        _store = store;
        _path = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _file.Write(buffer);
        _length += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        _hash.AppendData(buffer.Span);
        await _file.WriteAsync(buffer, ct);
        _length += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    /// <summary>Verifies and moves the blob into the store. Returns its digest.</summary>
    public Digest Commit(Digest? expected = null, long? expectedSize = null, bool fsync = true)
    {
        var digest = Seal(expected, expectedSize, fsync);
        Publish();
        return digest;
    }

    /// <summary>Finishes writing and verifies size and digest, leaving the blob in the ingest area: an operation
    /// that reads many blobs publishes them only once all of them are known good (<see cref="Publish"/>), so a
    /// failure leaves the store as it was.</summary>
    public Digest Seal(Digest? expected = null, long? expectedSize = null, bool fsync = true)
    {
        ObjectDisposedException.ThrowIf(_sealed is not null || _done, this);
        var actual = Digest.FromSha256Hash(_hash.GetHashAndReset());
        if (fsync) _file.Flush(flushToDisk: true);
        _file.Dispose();
        try
        {
            if (expectedSize is { } size && size != _length)
                throw BerthException.DataLoss($"content {expected?.ToString() ?? actual.ToString()}: size {_length}, expected {size}");
            if (expected is { } want && want != actual)
                throw new DigestMismatchException("content", want, actual, _length);
        }
        catch
        {
            _done = true;
            File.Delete(_path);
            throw;
        }
        _sealed = actual;
        return actual;
    }

    public long BytesWritten => _length;

    /// <summary>Renames a sealed blob into the store (idempotent).</summary>
    public void Publish()
    {
        if (_done) return;
        var digest = _sealed ?? throw new InvalidOperationException("Publish before Seal");
        _store.CommitFile(_path, digest);
        _done = true;
    }

    private Digest? _sealed;

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_done)
        {
            _done = true;
            _file.Dispose();
            try { File.Delete(_path); } catch (IOException) { /* debris: gc removes it */ }
        }
        _hash.Dispose();
        base.Dispose(disposing);
    }
}
