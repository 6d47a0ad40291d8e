using Berth.Archive;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Storage.Snapshots;

/// <summary>Layer directories: each layer is unpacked once into <c>snapshots/&lt;chain-id hex&gt;/fs</c> (its own
/// changes only, overlay whiteouts included), and an image's root filesystem is an overlayfs of them. A snapshot
/// is built in <c>snapshots/new-*</c> and renamed into place; removal renames to <c>del-*</c> first, so a crash
/// never leaves a half-built or half-removed directory under a valid name.</summary>
public sealed class SnapshotStore
{
    public SnapshotStore(string root)
    {
        Directory = System.IO.Path.Combine(root, "snapshots");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>The directory holding the layer's files.</summary>
    public string PathOf(Digest chainId) => System.IO.Path.Combine(Directory, chainId.Hex, "fs");

    public bool Exists(Digest chainId) => System.IO.Directory.Exists(PathOf(chainId));

    /// <summary>Creates an empty directory to unpack a new layer into.</summary>
    public PendingSnapshot BeginNew()
    {
        var dir = System.IO.Path.Combine(Directory, "new-" + Guid.NewGuid().ToString("N"));
        var fs = System.IO.Path.Combine(dir, "fs");
        System.IO.Directory.CreateDirectory(fs);
        return new PendingSnapshot(this, dir, fs);
    }

    internal void CommitDirectory(string pendingDir, Digest chainId)
    {
        var target = System.IO.Path.Combine(Directory, chainId.Hex);
        if (System.IO.Directory.Exists(target))
        {
            RemoveTree(pendingDir);
            return;
        }
        System.IO.Directory.Move(pendingDir, target);
    }

    public void Remove(Digest chainId)
    {
        var dir = System.IO.Path.Combine(Directory, chainId.Hex);
        if (!System.IO.Directory.Exists(dir)) return;
        var doomed = System.IO.Path.Combine(Directory, "del-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.Move(dir, doomed);
        RemoveTree(doomed);
    }

    /// <summary>Snapshot directories that hold a committed layer (named by chain-id hex; not symlinks).</summary>
    public IEnumerable<Digest> List()
    {
        foreach (var e in FileTree.List(Directory))
            if (IsSnapshotName(e)) yield return Digest.Parse("sha256:" + e.Utf8Name);
    }

    /// <summary>A directory named as a snapshot is; anything else under snapshots/ is debris
    /// (<see cref="Gc.StoreDebris"/>).</summary>
    public static bool IsSnapshotName(FileTree.Entry entry) =>
        entry.IsDirectory && Digest.TryParse("sha256:" + entry.Utf8Name, out _);

    /// <summary>Removes a file or a directory tree of any depth (<see cref="FileTree.Remove(string)"/>).</summary>
    public static void RemoveTree(string path) => FileTree.Remove(path);
}

/// <summary>A layer directory being filled. Dispose without <see cref="Commit"/> removes it.</summary>
public sealed class PendingSnapshot : IDisposable
{
    private readonly SnapshotStore _store;
    private readonly string _dir;
    private bool _done;

    internal PendingSnapshot(SnapshotStore store, string dir, string fs)
    {
        _store = store;
        _dir = dir;
        Path = fs;
    }

    public string Path { get; }

    public bool IsCommitted { get; private set; }

    public void Commit(Digest chainId)
    {
        _store.CommitDirectory(_dir, chainId);
        _done = true;
        IsCommitted = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        // Disposed on the way out of a failure: a second error here must not hide the first.
        try { SnapshotStore.RemoveTree(_dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BerthException) { /* debris: gc removes it */ }
    }
}
