using System.Text;
using Berth.Archive.Interop;
using Microsoft.Win32.SafeHandles;
using Berth.Interop;

namespace Berth.Archive;

/// <summary>One file, directory or symlink of a <see cref="RootedTree"/>, held by an <c>O_PATH</c> descriptor with
/// the statx it had when found. Children are opened relative to the descriptor without following symlinks, so a
/// walk never leaves the tree even if a directory is swapped for a symlink while it runs.</summary>
public sealed class RootedEntry : IDisposable
{
    private readonly SafeFdHandle _fd;
    private readonly FileStatus _st;

    private RootedEntry(SafeFdHandle fd, FileStatus st, string path)
    {
        _fd = fd;
        _st = st;
        Path = path;
    }

    internal static RootedEntry Of(SafeFdHandle fd, string path)
    {
        int errno = Fs.StatAt(fd, [], out FileStatus st);
        if (errno != 0)
        {
            fd.Dispose();
            throw new SyscallException(errno, "statx", path);
        }

        return new RootedEntry(fd, st, path);
    }

    /// <summary>The path inside the tree it was found by (not resolved: a followed symlink keeps its own name).</summary>
    public string Path { get; }

    public uint Mode => _st.Mode;
    public uint Uid => _st.Uid;
    public uint Gid => _st.Gid;
    public long Size => _st.Size;
    public ulong Inode => _st.Inode;
    public ulong Device => Libc.makedev(_st.DevMajor, _st.DevMinor);
    public ulong Rdev => Libc.makedev(_st.RdevMajor, _st.RdevMinor);
    public long MtimeNs => _st.MtimeSeconds * 1_000_000_000 + _st.MtimeNanoseconds;
    public long CtimeNs => _st.CtimeSeconds * 1_000_000_000 + _st.CtimeNanoseconds;
    public bool IsDirectory => _st.IsDirectory;
    public bool IsRegular => _st.IsRegular;
    public bool IsSymlink => _st.IsSymlink;

    /// <summary>The names in this directory, without "." and "..", in ordinal order.</summary>
    public List<string> Names()
    {
        using SafeFdHandle dir = Fs.OpenAt(_fd, "."u8, Libc.O_RDONLY | Libc.O_DIRECTORY, 0, Path);
        List<string> names = [.. DirectoryReader.Read(dir, Path).Select(n => Encoding.UTF8.GetString(n.Name))];
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>The entry <paramref name="name"/> in this directory, not following it if it is a symlink; null when
    /// it is gone.</summary>
    public RootedEntry? Child(string name)
    {
        int errno = Fs.TryOpenAt(_fd, Encoding.UTF8.GetBytes(name), Libc.O_PATH | Libc.O_NOFOLLOW, 0, out SafeFdHandle fd);
        string path = Path.Length == 0 ? name : Path + "/" + name;
        if (errno != 0)
        {
            fd.Dispose();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
            throw new SyscallException(errno, "openat", path);
        }

        return Of(fd, path);
    }

    /// <summary>This symlink's target, as written.</summary>
    public string ReadLink()
    {
        int errno = Fs.ReadLinkAt(_fd, [], out byte[] target);
        if (errno != 0) throw new SyscallException(errno, "readlink", Path);
        return Encoding.UTF8.GetString(target);
    }

    /// <summary>Opens this regular file for reading: the very inode that was found (through its
    /// <c>/proc/self/fd</c> link), not whatever its path names now.</summary>
    public FileStream OpenRead()
    {
        if (!IsRegular) throw new SyscallException(Errno.EINVAL, "open", Path, "not a regular file");
        SafeFileHandle handle = File.OpenHandle($"/proc/self/fd/{_fd.Fd}", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        return new FileStream(handle, FileAccess.Read, 1 << 16);
    }

    /// <summary>The kernel's current name for this entry on the host (<c>readlink /proc/self/fd/N</c>), for callers
    /// that must hand a path to another process.</summary>
    public string RealPath() => new FileInfo($"/proc/self/fd/{_fd.Fd}").LinkTarget ?? throw new SyscallException(Errno.ENOENT, "readlink", Path);

    public void Dispose() => _fd.Dispose();
}
