using Berth.Oci;

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

    /// <summary>Snapshot directories that hold a committed layer (named by chain-id hex).</summary>
    public IEnumerable<Digest> List()
    {
        foreach (var d in System.IO.Directory.EnumerateDirectories(Directory))
            if (Digest.TryParse("sha256:" + System.IO.Path.GetFileName(d), out var id)) yield return id;
    }

    /// <summary>Leftovers of interrupted work: new-* and del-* directories and anything unnamed.</summary>
    public IEnumerable<string> ListDebris()
    {
        foreach (var d in System.IO.Directory.EnumerateFileSystemEntries(Directory))
            if (!Digest.TryParse("sha256:" + System.IO.Path.GetFileName(d), out _)) yield return d;
    }

    public static void RemoveTree(string path)
    {
        if (File.Exists(path) || IsSymlink(path)) { File.Delete(path); return; }
        if (!System.IO.Directory.Exists(path)) return;
        // Layer trees may hold read-only directories; root can delete them, and Directory.Delete does not follow
        // symlinks into their targets.
        System.IO.Directory.Delete(path, recursive: true);
    }

    private static bool IsSymlink(string path)
    {
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is not null || info.Attributes != (FileAttributes)(-1) && info.Attributes.HasFlag(FileAttributes.ReparsePoint);
    }
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
        try { SnapshotStore.RemoveTree(_dir); } catch (IOException) { /* debris: gc removes it */ }
    }
}
