using System.Text;
using Berth.Archive.Interop;
using Berth.Oci.Errors;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Archive;

/// <summary>
/// Listing and removal of whatever a directory holds, whatever its depth and names: names are raw bytes (a
/// name need not be UTF-8), and a tree is walked through descriptors one level at a time with only one
/// descriptor open (the way back up is <c>..</c>, checked against the inode it came from), so a tree deeper than
/// PATH_MAX (4096 bytes of path) or than the descriptor limit is removed too; .NET's Directory.Delete is neither.
/// Removal never crosses into another filesystem: a mount point inside a tree is an error, not something to
/// empty (an overlay mounted there would show an image's layers).
/// </summary>
public static class FileTree
{
    /// <summary>One name in <see cref="Directory"/>, as the kernel spells it.</summary>
    public sealed record Entry(string Directory, byte[] Name, EntryKind Kind)
    {
        public bool IsDirectory => Kind == EntryKind.Directory;

        /// <summary>The name if it is printable UTF-8, else with \xNN escapes (for messages only).</summary>
        public string DisplayName => Show(Name);

        public string DisplayPath => Path.Combine(Directory, DisplayName);

        /// <summary>The name as .NET spells it, or null when it is not valid UTF-8 (no string names such a file).</summary>
        public string? Utf8Name => TryDecode(Name);
    }

    public enum EntryKind { Regular, Directory, Symlink, Other }

    /// <summary>The entries of <paramref name="directory"/> (not "." and ".."); empty if it does not exist.</summary>
    public static IReadOnlyList<Entry> List(string directory)
    {
        if (Fs.TryOpenAt(new SafeFdHandle(AT_FDCWD, ownsHandle: false), Encode(directory), O_RDONLY | O_DIRECTORY, 0, out SafeFdHandle fd) is var errno and not 0)
        {
            fd.Dispose();
            if (errno is ENOENT or ENOTDIR) return [];
            throw new SyscallException(errno, "open", directory);
        }
        using (fd)
        {
            var entries = new List<Entry>();
            foreach (var (name, listed) in DirectoryReader.Read(fd, directory))
            {
                byte type = listed;
                if (type == DirectoryReader.DT_UNKNOWN && Fs.StatAt(fd, name, out FileStatus st) == 0)
                    type = st.IsDirectory ? DirectoryReader.DT_DIR : st.IsSymlink ? DirectoryReader.DT_LNK : st.IsRegular ? DirectoryReader.DT_REG : DirectoryReader.DT_FIFO;
                entries.Add(new Entry(directory, name, type switch
                {
                    DirectoryReader.DT_DIR => EntryKind.Directory,
                    DirectoryReader.DT_LNK => EntryKind.Symlink,
                    DirectoryReader.DT_REG => EntryKind.Regular,
                    _ => EntryKind.Other,
                }));
            }
            return entries;
        }
    }

    /// <summary>Removes <paramref name="path"/>, a file, symlink (not its target) or directory tree. Nothing there
    /// is not an error.</summary>
    public static void Remove(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? throw BerthException.Invalid($"{path}: will not remove the root directory");
        Remove(new Entry(parent, Encode(Path.GetFileName(full)), EntryKind.Other));
    }

    /// <summary>Removes one listed entry and everything under it.</summary>
    public static void Remove(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        int errno = Fs.TryOpenAt(new SafeFdHandle(AT_FDCWD, ownsHandle: false), Encode(entry.Directory), O_RDONLY | O_DIRECTORY, 0, out SafeFdHandle parent);
        using (parent)
        {
            if (errno is ENOENT) return;
            if (errno != 0) throw new SyscallException(errno, "open", entry.Directory);
            RemoveAt(parent, entry.Name, entry.DisplayPath);
        }
    }

    private sealed class Level(byte[] name, ulong inode, List<byte[]> pending)
    {
        public byte[] Name { get; } = name;
        public ulong Inode { get; } = inode;
        public List<byte[]> Pending { get; set; } = pending;
    }

    private static void RemoveAt(SafeFdHandle parent, byte[] name, string display)
    {
        int errno = Fs.UnlinkAt(parent, name, 0);
        if (errno is 0 or ENOENT) return;
        // unlink(2) of a directory fails with EISDIR on Linux (EPERM elsewhere by POSIX).
        if (errno is not (EISDIR or EPERM)) throw new SyscallException(errno, "unlink", display);
        Check(Fs.StatAt(parent, [], out FileStatus top), "stat", display);

        var stack = new Stack<Level>();
        SafeFdHandle? fd = OpenDirectory(parent, name, top, display);
        if (fd is null) return;
        try
        {
            Check(Fs.StatAt(fd, [], out FileStatus self), "stat", display);
            var current = new Level(name, self.Inode, Names(fd, display));
            while (true)
            {
                bool descended = false;
                while (current.Pending.Count > 0)
                {
                    byte[] child = current.Pending[^1];
                    current.Pending.RemoveAt(current.Pending.Count - 1);
                    errno = Fs.UnlinkAt(fd, child, 0);
                    if (errno is 0 or ENOENT) continue;
                    if (errno is not (EISDIR or EPERM)) throw new SyscallException(errno, "unlink", $"{display}/…/{Show(child)}");
                    SafeFdHandle? childFd = OpenDirectory(fd, child, top, $"{display}/…/{Show(child)}");
                    if (childFd is null) continue;
                    Check(Fs.StatAt(childFd, [], out FileStatus cs), "stat", display);
                    stack.Push(current);
                    fd.Dispose();
                    fd = childFd;
                    current = new Level(child, cs.Inode, Names(fd, display));
                    descended = true;
                    break;
                }
                if (descended) continue;
                if (stack.Count == 0) break;
                // Back up one level through "..", which must be the directory we came down from.
                SafeFdHandle up = Fs.OpenAt(fd, ".."u8, O_RDONLY | O_DIRECTORY, 0, display);
                Check(Fs.StatAt(up, [], out FileStatus upStatus), "stat", display);
                fd.Dispose();
                fd = up;
                var parentLevel = stack.Pop();
                if (upStatus.Inode != parentLevel.Inode)
                    throw new BerthException(ErrorKind.Conflict, $"{display}: a directory moved while it was being removed");
                errno = Fs.UnlinkAt(fd, current.Name, AT_REMOVEDIR);
                if (errno == ENOTEMPTY)
                {
                    // Something was created meanwhile: go round again.
                    parentLevel.Pending.Add(current.Name);
                }
                else if (errno is not (0 or ENOENT))
                {
                    throw new SyscallException(errno, "rmdir", $"{display}/…/{Show(current.Name)}");
                }
                current = parentLevel;
            }
        }
        finally
        {
            fd?.Dispose();
        }
        errno = Fs.UnlinkAt(parent, name, AT_REMOVEDIR);
        if (errno is not (0 or ENOENT)) throw new SyscallException(errno, "rmdir", display);
    }

    /// <summary>Opens a subdirectory without following a symlink; null if it vanished. A directory on another
    /// device is a mount point: refused.</summary>
    private static SafeFdHandle? OpenDirectory(SafeFdHandle dir, byte[] name, FileStatus top, string display)
    {
        int errno = Fs.TryOpenAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, out SafeFdHandle fd);
        if (errno is ENOENT)
        {
            fd.Dispose();
            return null;
        }
        if (errno != 0)
        {
            fd.Dispose();
            throw new SyscallException(errno, "open", display);
        }
        Check(Fs.StatAt(fd, [], out FileStatus st), "stat", display);
        if (st.DevMajor != top.DevMajor || st.DevMinor != top.DevMinor)
        {
            fd.Dispose();
            throw new BerthException(ErrorKind.Conflict, $"{display}: is a mount point (or holds one); unmount it before removing");
        }
        return fd;
    }

    private static List<byte[]> Names(SafeFdHandle fd, string display) => [.. DirectoryReader.Read(fd, display).Select(e => e.Name)];

    private static void Check(int errno, string call, string display)
    {
        if (errno != 0) throw new SyscallException(errno, call, display);
    }

    private static byte[] Encode(string path) => Encoding.UTF8.GetBytes(path);

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string? TryDecode(byte[] name)
    {
        try
        {
            return s_strict.GetString(name);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>A name for messages: printable UTF-8 as is, control characters and invalid bytes as \xNN.</summary>
    public static string Show(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder(name.Length);
        while (!name.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(name, out var rune, out int used);
            if (status == System.Buffers.OperationStatus.Done && !System.Text.Rune.IsControl(rune))
                text.Append(rune.ToString());
            else
                for (int i = 0; i < Math.Max(used, 1); i++) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{name[i]:x2}");
            name = name[Math.Max(used, 1)..];
        }
        return text.ToString();
    }
}
