using System.Runtime.InteropServices;

namespace Berth.Interop;

/// <summary>statx(2): the one way berth reads a file's status. <c>struct statx</c> has one layout on every arch,
/// unlike <c>struct stat</c>.</summary>
internal static unsafe partial class Statx
{
    internal const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10,
        STATX_MTIME = 0x40, STATX_INO = 0x100, STATX_SIZE = 0x200, STATX_BASIC_STATS = 0x7ff, STATX_MNT_ID = 0x1000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_timestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        private int __reserved;
    }

    /// <summary>struct statx (include/uapi/linux/stat.h), 256 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_t
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        private ushort __spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public statx_timestamp stx_atime;
        public statx_timestamp stx_btime;
        public statx_timestamp stx_ctime;
        public statx_timestamp stx_mtime;
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        public ulong stx_mnt_id;
        private fixed ulong __spare2[13];
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int statx(SafeFdHandle dirfd, byte* path, int flags, uint mask, statx_t* buf);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirfd, string path, int flags, uint mask, out statx_t buf);

    internal static FileStatus ToStatus(in statx_t st) => new(
        st.stx_mode, st.stx_uid, st.stx_gid, (long)st.stx_size, st.stx_ino, st.stx_nlink,
        st.stx_dev_major, st.stx_dev_minor, st.stx_rdev_major, st.stx_rdev_minor,
        st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec, st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec, st.stx_mnt_id, (long)st.stx_blocks);

    /// <summary>The status of what <paramref name="fd"/> refers to (a symlink itself for an O_PATH|O_NOFOLLOW
    /// descriptor); 0 or an errno.</summary>
    internal static int TryOf(SafeHandle fd, out FileStatus status)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            return TryOf((int)fd.DangerousGetHandle(), out status);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>The status of what the raw descriptor <paramref name="fd"/> refers to (fstat); 0 or an errno.</summary>
    internal static int TryOf(int fd, out FileStatus status)
    {
        int result = statx(fd, "", Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, out var st);
        status = result == -1 ? default : ToStatus(st);
        return result == -1 ? Errno.Last : 0;
    }

    /// <summary>The status of <paramref name="path"/>, never following a final symlink (lstat); 0 or an errno.</summary>
    internal static int TryOfPath(string path, out FileStatus status)
    {
        int result = statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, out var st);
        status = result == -1 ? default : ToStatus(st);
        return result == -1 ? Errno.Last : 0;
    }

    /// <summary>As <see cref="TryOf"/>, throwing <see cref="SyscallException"/> on failure.</summary>
    internal static FileStatus Of(SafeHandle fd, string subject)
    {
        int errno = TryOf(fd, out var status);
        return errno == 0 ? status : throw new SyscallException(errno, "statx", subject);
    }

    internal static FileStatus OfPath(string path)
    {
        int errno = TryOfPath(path, out var status);
        return errno == 0 ? status : throw new SyscallException(errno, "statx", path);
    }
}
