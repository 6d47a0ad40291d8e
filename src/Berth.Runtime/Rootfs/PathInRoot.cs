using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>Resolves container paths inside a root directory and hands back descriptors (P1 in the security notes).
/// Every symlink, absolute or relative, is resolved as if the root were "/", so no path, however crafted or raced,
/// reaches outside it; callers then act on the descriptor (<c>*at()</c> calls, or mount onto
/// <c>/proc/self/fd/N</c>) and never re-resolve the string.
/// <para>The fast path is <c>openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)</c>; where that is missing or blocked,
/// a walk opens one component at a time with <c>O_NOFOLLOW</c> and resolves links by hand, clamped to the root
/// (what filepath-securejoin and libpathrs do). The walk also creates missing directories, including the targets of
/// dangling symlinks, which the kernel cannot.</para></summary>
public static class PathInRoot
{
    private const int MaxSymlinks = 40;

    /// <summary>For tests: force the component walk, as crun's <c>check-no-openat2</c> CI run does.</summary>
    public static bool DisableOpenat2 { get; set; } = Environment.GetEnvironmentVariable("BERTH_NO_OPENAT2") == "1";

    public static SafeFdHandle OpenRoot(string path) => OpenFd(path, O_PATH | O_DIRECTORY);

    /// <summary>Opens <paramref name="path"/> inside <paramref name="root"/>. <paramref name="flags"/> are open(2) flags
    /// (O_PATH for a handle to mount on); a final symlink is followed, within the root, unless O_NOFOLLOW is set.</summary>
    public static SafeFdHandle Open(SafeFdHandle root, string path, int flags)
    {
        if (!DisableOpenat2)
        {
            var how = new open_how
            {
                flags = (ulong)(flags | O_CLOEXEC),
                resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
            };
            for (var attempt = 0; attempt < 16; attempt++)
            {
                var fd = openat2(root.Fd, Relative(path), ref how);
                if (fd >= 0) return new SafeFdHandle(fd);
                var errno = Last;
                if (errno == EAGAIN || errno == EINTR) continue; // a concurrent rename; the kernel asks us to retry
                if (errno is ENOSYS or EPERM or E2BIG) break;    // no openat2 (old kernel, or a seccomp filter): walk
                throw new SyscallException(errno, "openat2", path);
            }
        }
        return Walk(root, path, flags, create: CreateMode.None);
    }

    /// <summary>Opens (O_PATH) the directory at <paramref name="path"/>, creating it and any missing parents.</summary>
    public static SafeFdHandle MkdirAll(SafeFdHandle root, string path, uint mode = 0x1ED /* 0755 */)
    {
        try
        {
            return Open(root, path, O_PATH | O_DIRECTORY);
        }
        catch (SyscallException e) when (e.Errno == ENOENT)
        {
            return Walk(root, path, O_PATH | O_DIRECTORY, CreateMode.Directory, mode);
        }
    }

    /// <summary>Opens (O_PATH) the file at <paramref name="path"/>, creating an empty one (and its parents) if missing:
    /// the destination of a file bind mount.</summary>
    public static SafeFdHandle CreateFile(SafeFdHandle root, string path, uint mode = 0x1A4 /* 0644 */)
    {
        try
        {
            return Open(root, path, O_PATH);
        }
        catch (SyscallException e) when (e.Errno == ENOENT)
        {
            return Walk(root, path, O_PATH, CreateMode.File, mode);
        }
    }

    /// <summary>The kernel's name for what a descriptor refers to (<c>readlink /proc/self/fd/N</c>).</summary>
    public static string RealPath(SafeFdHandle fd) => ReadLinkAt(AT_FDCWD, fd.ProcPath);

    private enum CreateMode { None, Directory, File }

    private static SafeFdHandle Walk(SafeFdHandle root, string path, int flags, CreateMode create, uint mode = 0x1ED)
    {
        var remaining = new LinkedList<string>(Split(path));
        var stack = new List<SafeFdHandle> { new(CheckIo(dup3Cloexec(root.Fd), "dup", path)) };
        var links = 0;
        try
        {
            while (remaining.First is { } node)
            {
                var part = node.Value;
                remaining.RemoveFirst();
                if (part is "" or ".") continue;
                if (part == "..")
                {
                    // Never above the root: ".." at the root is the root, as the kernel does for a chroot.
                    if (stack.Count > 1)
                    {
                        stack[^1].Dispose();
                        stack.RemoveAt(stack.Count - 1);
                    }
                    continue;
                }
                var last = remaining.Count == 0;
                var top = stack[^1];
                var fd = openat(top.Fd, part, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
                if (fd < 0 && Last == ENOENT && create != CreateMode.None)
                {
                    int rc;
                    if (last && create == CreateMode.File)
                    {
                        rc = openat(top.Fd, part, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
                        if (rc >= 0) close(rc);
                    }
                    else
                    {
                        rc = mkdirat(top.Fd, part, mode);
                    }
                    if (rc < 0 && Last != EEXIST) CheckIo(rc, last && create == CreateMode.File ? "create" : "mkdir", path);
                    fd = openat(top.Fd, part, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
                }
                var handle = new SafeFdHandle(CheckIo(fd, "openat", path));
                var st = Stat(handle, path);
                var type = st.stx_mode & S_IFMT;
                if (type == S_IFLNK && (!last || (flags & O_NOFOLLOW) == 0))
                {
                    if (++links > MaxSymlinks) throw new SyscallException(ELOOP, "open", path);
                    // A link on procfs (/proc/self/fd/N, /proc/self/cwd, /proc/self/root) is a magic link: its text
                    // is not where it leads. Refuse it, as openat2's RESOLVE_NO_MAGICLINKS does (CVE-2024-21626).
                    if (FsType(handle, path) == PROC_SUPER_MAGIC && !IsProcSelfLink(top, part))
                    {
                        handle.Dispose();
                        throw new SyscallException(ELOOP, "open", path);
                    }
                    var target = ReadLinkAt(handle.Fd, "");
                    handle.Dispose();
                    if (target.StartsWith('/'))
                    {
                        for (var i = stack.Count - 1; i > 0; i--)
                        {
                            stack[i].Dispose();
                            stack.RemoveAt(i);
                        }
                    }
                    var parts = Split(target);
                    for (var i = parts.Length - 1; i >= 0; i--) remaining.AddFirst(parts[i]);
                    continue;
                }
                if (!last && type != S_IFDIR)
                {
                    handle.Dispose();
                    throw new SyscallException(ENOTDIR, "open", path);
                }
                stack.Add(handle);
            }

            var result = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if ((flags & O_DIRECTORY) != 0 && (Stat(result, path).stx_mode & S_IFMT) != S_IFDIR)
            {
                result.Dispose();
                throw new SyscallException(ENOTDIR, "open", path);
            }
            if ((flags & O_PATH) != 0) return result;
            // Reopen the O_PATH handle with the access asked for; the magic link names exactly this inode.
            using (result)
                return OpenFd(result.ProcPath, flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL));
        }
        finally
        {
            foreach (var h in stack) h.Dispose();
        }
    }

    /// <summary>/proc/self and /proc/thread-self are plain symlinks to a pid directory, not magic links.</summary>
    private static bool IsProcSelfLink(SafeFdHandle parent, string name) =>
        name is "self" or "thread-self" && FsType(parent, name) == PROC_SUPER_MAGIC && (Stat(parent, name).stx_ino == 1);

    private static int dup3Cloexec(int fd) => fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 0);

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string Relative(string path)
    {
        var trimmed = path.TrimStart('/');
        return trimmed.Length == 0 ? "." : trimmed;
    }

    private const int E2BIG = 7;
}
