using System.Runtime.InteropServices;
using System.Text;
using Berth.Archive.Interop;
using Berth.Interop;

namespace Berth.Archive.Tests.Support;

/// <summary>The libc calls tests need to build trees (owners, xattrs, device nodes, hard links) and to inspect them.</summary>
internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    /// <summary>mkdirat with a raw byte name (one .NET could not spell); returns the errno.</summary>
    public static int MkdirRaw(string dir, byte[] name)
    {
        using SafeFdHandle fd = Fs.Open(dir, Libc.O_RDONLY | Libc.O_DIRECTORY);
        return Fs.MkdirAt(fd, name, 0x1ED);
    }

    public static void Lchown(string path, uint uid, uint gid) => Check(lchown(path, uid, gid), "lchown", path);

    public static void SetXattr(string path, string name, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Check(lsetxattr(path, name, bytes, (nuint)bytes.Length, 0), "lsetxattr", path);
    }

    public static void Mknod(string path, uint type, uint major, uint minor, uint mode = 0) =>
        Check(mknod(path, type | mode, Libc.makedev(major, minor)), "mknod", path);

    public static void Mkfifo(string path, uint mode) => Mknod(path, Libc.S_IFIFO, 0, 0, mode);

    public static void Link(string existing, string newPath) => Check(link(existing, newPath), "link", newPath);

    /// <summary>chmod without the process umask, setuid/setgid/sticky included.</summary>
    public static void Chmod(string path, uint mode) => Check(chmod(path, mode), "chmod", path);

    public static FileStatus Lstat(string path)
    {
        using SafeFdHandle cwd = new(Libc.AT_FDCWD, ownsHandle: false);
        int errno = Fs.StatAt(cwd, Encoding.UTF8.GetBytes(path), out FileStatus st);
        if (errno != 0) throw new IOException($"statx {path}: errno {errno}");
        return st;
    }

    public static bool Exists(string path)
    {
        using SafeFdHandle cwd = new(Libc.AT_FDCWD, ownsHandle: false);
        return Fs.StatAt(cwd, Encoding.UTF8.GetBytes(path), out _) == 0;
    }

    /// <summary>xattrs of <paramref name="path"/> itself (a symlink is not followed), sorted by name.</summary>
    public static List<KeyValuePair<string, byte[]>> Xattrs(string path)
    {
        string dir = Path.GetDirectoryName(path)!;
        using SafeFdHandle fd = Fs.Open(dir, Libc.O_PATH | Libc.O_DIRECTORY);
        return Fs.ReadXattrsAt(fd, Encoding.UTF8.GetBytes(Path.GetFileName(path))) ?? [];
    }

    private static void Check(int result, string call, string path)
    {
        if (result != 0) throw new IOException($"{call} {path}: errno {Marshal.GetLastPInvokeError()}");
    }
}
