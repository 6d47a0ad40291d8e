using System.Security.Cryptography;
using Berth.Archive;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Interop;

namespace Berth.Storage.Content;

/// <summary>Blobs by digest under <c>blobs/sha256/&lt;hex&gt;</c>. A blob is written to <c>ingest/</c>, verified
/// against its digest and size, fsynced, then renamed into place, so it is never visible half-written
/// (containerd plugins/content/local/writer.go does the same).</summary>
public sealed class ContentStore
{
    private readonly string _blobs;

    public ContentStore(string root)
    {
        _blobs = System.IO.Path.Combine(root, "blobs");
        IngestDirectory = System.IO.Path.Combine(root, "ingest");
        Directory.CreateDirectory(System.IO.Path.Combine(_blobs, "sha256"));
        Directory.CreateDirectory(IngestDirectory);
    }

    public string IngestDirectory { get; }

    public string PathOf(Digest digest) => System.IO.Path.Combine(_blobs, digest.Algorithm, digest.Hex);

    public bool Exists(Digest digest) => File.Exists(PathOf(digest));

    public long SizeOf(Digest digest)
    {
        var info = new FileInfo(PathOf(digest));
        return info.Exists ? info.Length : throw BerthException.NotFound($"content {digest}: not found");
    }

    public FileStream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw BerthException.NotFound($"content {digest}: not found");
        }
    }

    public byte[] ReadAllBytes(Digest digest, long maxSize = 16 << 20)
    {
        long size = SizeOf(digest);
        if (size > maxSize) throw BerthException.Invalid($"content {digest}: {size} bytes is larger than the {maxSize} allowed for a JSON document");
        return File.ReadAllBytes(PathOf(digest));
    }

    /// <summary>Starts a new blob. Dispose without <see cref="ContentWriter.Commit"/> deletes it.</summary>
    public ContentWriter CreateWriter() => new(this, System.IO.Path.Combine(IngestDirectory, "ingest-" + Guid.NewGuid().ToString("N")));

    /// <summary>Stores a small document (manifest, config, index) and returns its digest.</summary>
    public Digest Put(ReadOnlySpan<byte> bytes, Digest? expected = null)
    {
        using var w = CreateWriter();
        w.Write(bytes);
        return w.Commit(expected, bytes.Length);
    }

    public void Delete(Digest digest) => File.Delete(PathOf(digest));

    /// <summary>The blobs: regular files named <c>&lt;algorithm&gt;/&lt;hex&gt;</c>. Anything else under blobs/ is
    /// debris (<see cref="Gc.StoreDebris"/>).</summary>
    public IEnumerable<Digest> List()
    {
        foreach (var alg in new[] { "sha256", "sha512" })
            foreach (var e in FileTree.List(System.IO.Path.Combine(_blobs, alg)))
                if (IsBlobName(alg, e)) yield return Digest.Parse(alg + ":" + e.Utf8Name);
    }

    public static bool IsBlobName(string? algorithm, FileTree.Entry entry) =>
        entry.Kind == FileTree.EntryKind.Regular && Digest.TryParse($"{algorithm}:{entry.Utf8Name}", out _);

    public string BlobsDirectory => _blobs;

    /// <summary>Recomputes the digest of a stored blob.</summary>
    public Digest Rehash(Digest digest)
    {
        using var s = OpenRead(digest);
        using var h = IncrementalHash.CreateHash(digest.Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        int n;
        while ((n = s.Read(buf)) > 0) h.AppendData(buf, 0, n);
        var hash = h.GetHashAndReset();
        return Digest.Parse(digest.Algorithm + ":" + Convert.ToHexStringLower(hash));
    }

    internal void CommitFile(string ingestPath, Digest digest)
    {
        var target = PathOf(digest);
        if (File.Exists(target))
        {
            File.Delete(ingestPath);
            return;
        }
        File.Move(ingestPath, target, overwrite: true);
        Libc.FsyncDirectory(System.IO.Path.GetDirectoryName(target)!);
    }
}
