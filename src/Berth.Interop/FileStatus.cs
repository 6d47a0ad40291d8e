namespace Berth.Interop;

/// <summary>The fields of <c>struct statx</c> that berth reads (<see cref="Statx"/>).</summary>
public readonly record struct FileStatus(
    uint Mode,
    uint Uid,
    uint Gid,
    long Size,
    ulong Inode,
    uint Nlink,
    uint DevMajor,
    uint DevMinor,
    uint RdevMajor,
    uint RdevMinor,
    long MtimeSeconds,
    uint MtimeNanoseconds,
    long CtimeSeconds = 0,
    uint CtimeNanoseconds = 0,
    ulong MountId = 0,
    long Blocks = 0)
{
    public const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    public uint Type => Mode & S_IFMT;

    public bool IsDirectory => Type == S_IFDIR;

    public bool IsSymlink => Type == S_IFLNK;

    public bool IsRegular => Type == S_IFREG;

    /// <summary>The device the file lives on, as one number (makedev(3), glibc's encoding).</summary>
    public ulong Device => Libc.makedev(DevMajor, DevMinor);

    /// <summary>The device a device node stands for, as one number.</summary>
    public ulong Rdev => Libc.makedev(RdevMajor, RdevMinor);
}
