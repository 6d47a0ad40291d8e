using System.Text;
using Berth.Archive.Interop;
using Berth.Interop;

namespace Berth.Archive;

/// <summary>
/// A host directory read as if it were "/", for readers outside this assembly (the build context): every path is
/// resolved inside it by the same <see cref="RootFs"/> that layer application uses (<c>openat2(RESOLVE_IN_ROOT)</c>,
/// or the component walk), so no symlink, absolute or relative, and no ".." leads out of it, however the tree
/// changes meanwhile. What a lookup finds is held by descriptor (<see cref="RootedEntry"/>): it is listed, stat'ed
/// and read through that descriptor, never through a path looked up again.
/// </summary>
public sealed class RootedTree : IDisposable
{
    private readonly RootFs _root;

    private RootedTree(RootFs root) => _root = root;

    /// <summary>Pins <paramref name="hostPath"/> (a directory; symlinks in the path itself are the caller's choice
    /// and are followed) by descriptor.</summary>
    public static RootedTree Open(string hostPath) => new(RootFs.Open(hostPath));

    public string HostPath => _root.Path;

    /// <summary>The entry at <paramref name="path"/> (relative to the root; "" is the root), or null when it does not
    /// exist. Symlinks among its directories are followed inside the root, and the final one too when
    /// <paramref name="followFinal"/>; an absolute link target counts from the root, ".." stops at the root.</summary>
    public RootedEntry? Find(string path, bool followFinal)
    {
        int flags = Libc.O_PATH | (followFinal ? 0 : Libc.O_NOFOLLOW);
        int errno = _root.TryOpen(Encoding.UTF8.GetBytes(path.Trim('/')), flags, out SafeFdHandle fd);
        if (errno != 0)
        {
            fd.Dispose();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
            throw new SyscallException(errno, "open", path.Trim('/'), "in " + _root.Path);
        }

        return RootedEntry.Of(fd, path.Trim('/'));
    }

    public void Dispose() => _root.Dispose();
}
