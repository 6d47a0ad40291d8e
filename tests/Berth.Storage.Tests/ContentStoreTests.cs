using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage.Content;
using Berth.Testing;

namespace Berth.Storage.Tests;

public sealed class ContentStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void CommitRejectsContentWhoseDigestDiffers()
    {
        // A blob is only ever visible under the digest of its bytes; a mismatch leaves nothing behind.
        var store = new ContentStore(_dir.Path);
        var wrong = Digest.Sha256("other"u8);
        using var w = store.CreateWriter();
        w.Write("hello"u8);
        var e = Assert.Throws<DigestMismatchException>(() => w.Commit(wrong));
        Assert.Contains(wrong.ToString(), e.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(store.IngestDirectory));
    }

    [Fact]
    public void CommitRejectsTheWrongSize()
    {
        var store = new ContentStore(_dir.Path);
        using var w = store.CreateWriter();
        w.Write("hello"u8);
        var e = Assert.Throws<BerthException>(() => w.Commit(null, 4));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("size 5, expected 4", e.Message);
        Assert.Empty(store.List());
    }

    [Fact]
    public void DisposeWithoutCommitRemovesTheIngestFile()
    {
        var store = new ContentStore(_dir.Path);
        using (var w = store.CreateWriter()) w.Write("partial"u8);
        Assert.Empty(Directory.GetFiles(store.IngestDirectory));
    }

    [Fact]
    public void SealedBlobsStayInvisibleUntilPublished()
    {
        // Multi-blob operations verify everything before anything becomes visible.
        var store = new ContentStore(_dir.Path);
        using var w = store.CreateWriter();
        w.Write("layer"u8);
        var d = w.Seal(Digest.Sha256("layer"u8), 5);
        Assert.False(store.Exists(d));
        w.Publish();
        Assert.True(store.Exists(d));
        Assert.Equal(d, store.Rehash(d));
    }

    [Fact]
    public void PutIsIdempotentAndFlippedBytesAreFoundByRehash()
    {
        var store = new ContentStore(_dir.Path);
        var d = store.Put("{\"a\":1}"u8);
        Assert.Equal(d, store.Put("{\"a\":1}"u8));
        Assert.Single(store.List());
        var bytes = File.ReadAllBytes(store.PathOf(d));
        bytes[2] ^= 1;
        File.WriteAllBytes(store.PathOf(d), bytes);
        Assert.NotEqual(d, store.Rehash(d));
    }

    public void Dispose() => _dir.Dispose();
}
