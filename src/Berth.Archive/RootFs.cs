using Berth.Archive.Interop;
using Berth.Interop;

namespace Berth.Archive;

/// <summary>
/// A directory pinned by descriptor, in which relative paths are resolved as if it were "/": symlinks are
/// followed but clamped to it, and ".." never leaves it. Uses <c>openat2(RESOLVE_IN_ROOT)</c>, and walks one
/// component at a time with <c>openat(O_NOFOLLOW)</c> when openat2 is missing (ENOSYS) or filtered (EPERM).
/// See <see href="https://man7.org/linux/man-pages/man2/openat2.2.html"/>.
/// </summary>
internal sealed class RootFs : IDisposable
{
    private const int MaxSymlinks = 40;

    private static volatile bool s_noOpenat2;

    private RootFs(SafeFdHandle root, string path)
    {
        Root = root;
        Path = path;
    }

    private static readonly AsyncLocal<bool> s_forceFallback = new();

    /// <summary>Tests set this to run every path case through the fallback walk as well (flows with the caller's
    /// async context only, so parallel tests do not see it).</summary>
    internal static bool ForceFallback
    {
        get => s_forceFallback.Value;
        set => s_forceFallback.Value = value;
    }

    public SafeFdHandle Root { get; }

    public string Path { get; }

    public static RootFs Open(string path) =>
        new(Fs.Open(path, Libc.O_PATH | Libc.O_DIRECTORY), path);

    public void Dispose() => Root.Dispose();

    /// <summary>Opens <paramref name="path"/> (relative; "" is the root) inside the root. A final symlink is
    /// followed unless <paramref name="flags"/> has O_NOFOLLOW. Returns 0 or an errno.</summary>
    public int TryOpen(ReadOnlySpan<byte> path, int flags, out SafeFdHandle fd)
    {
        if (path.IsEmpty) path = "."u8;
        if (!s_noOpenat2 && !ForceFallback)
        {
            const ulong resolve = Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS;
            int errno = Fs.TryOpenAt2(Root, path, flags, resolve, out fd);
            if (errno is not (Errno.ENOSYS or Errno.EPERM)) return errno;
            fd.Dispose();
            if (errno == Errno.ENOSYS) s_noOpenat2 = true;
        }

        return Walk(path, flags, out fd);
    }

    /// <summary>The fallback: resolve one component at a time, symlinks by hand, ".." clamped at the root.</summary>
    private int Walk(ReadOnlySpan<byte> path, int flags, out SafeFdHandle fd)
    {
        List<SafeFdHandle> dirs = [];
        List<byte[]> pending = [];
        PushComponents(pending, path);
        int links = 0;
        try
        {
            while (pending.Count > 0)
            {
                byte[] component = pending[^1];
                pending.RemoveAt(pending.Count - 1);
                SafeFdHandle current = dirs.Count == 0 ? Root : dirs[^1];
                if (component.AsSpan().SequenceEqual(".."u8))
                {
                    if (dirs.Count > 0)
                    {
                        dirs[^1].Dispose();
                        dirs.RemoveAt(dirs.Count - 1);
                    }

                    continue;
                }

                bool last = pending.Count == 0;
                int errno = Fs.TryOpenAt(current, component, Libc.O_PATH | Libc.O_NOFOLLOW, 0, out SafeFdHandle next);
                if (errno != 0)
                {
                    fd = next;
                    return errno;
                }

                errno = Fs.StatAt(next, [], out FileStatus status);
                if (errno != 0)
                {
                    next.Dispose();
                    fd = new SafeFdHandle();
                    return errno;
                }

                if (status.IsSymlink && !(last && (flags & Libc.O_NOFOLLOW) != 0))
                {
                    errno = Fs.ReadLinkAt(next, [], out byte[] target);
                    next.Dispose();
                    if (errno != 0 || ++links > MaxSymlinks)
                    {
                        fd = new SafeFdHandle();
                        return errno != 0 ? errno : Errno.ELOOP;
                    }

                    if (target.Length > 0 && target[0] == (byte)'/')
                    {
                        foreach (SafeFdHandle d in dirs) d.Dispose();
                        dirs.Clear();
                    }

                    PushComponents(pending, target);
                    continue;
                }

                if (last)
                {
                    next.Dispose();
                    // Reopen the final component with the caller's flags and O_NOFOLLOW: if it was swapped for a
                    // symlink since the check, the open fails instead of following it.
                    return Fs.TryOpenAt(current, component, flags | Libc.O_NOFOLLOW, 0, out fd);
                }

                if (!status.IsDirectory)
                {
                    next.Dispose();
                    fd = new SafeFdHandle();
                    return Errno.ENOTDIR;
                }

                dirs.Add(next);
            }

            // The path ended on the root or on a "..": open the directory we stand in.
            return Fs.TryOpenAt(dirs.Count == 0 ? Root : dirs[^1], "."u8, flags, 0, out fd);
        }
        finally
        {
            foreach (SafeFdHandle d in dirs) d.Dispose();
        }
    }

    /// <summary>Pushes the non-trivial components of <paramref name="path"/> so the first is popped first.</summary>
    private static void PushComponents(List<byte[]> pending, ReadOnlySpan<byte> path)
    {
        int insertAt = pending.Count;
        while (!path.IsEmpty)
        {
            int slash = path.IndexOf((byte)'/');
            ReadOnlySpan<byte> component = slash < 0 ? path : path[..slash];
            path = slash < 0 ? [] : path[(slash + 1)..];
            if (component.IsEmpty || component.SequenceEqual("."u8)) continue;
            pending.Insert(insertAt, component.ToArray());
        }
    }
}
