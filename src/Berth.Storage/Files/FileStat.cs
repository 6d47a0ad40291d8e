namespace Berth.Storage.Files;

/// <summary>What lstat(2) says about a path: enough to copy it faithfully and to tell whether it changed since
/// it was last hashed (size, mtime, ctime and inode; ctime also moves on chmod and chown).</summary>
public readonly record struct FileStat(uint Mode, uint Uid, uint Gid, long Size, ulong Inode, ulong Device, long MtimeNs, long CtimeNs, ulong Rdev)
{
    public const uint S_IFMT = 0xF000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFCHR = 0x2000;

    public uint Type => Mode & S_IFMT;
    public bool IsDirectory => Type == S_IFDIR;
    public bool IsRegular => Type == S_IFREG;
    public bool IsSymlink => Type == S_IFLNK;

    /// <summary>Permission bits with setuid, setgid and sticky.</summary>
    public uint Permissions => Mode & 0xFFF;
}
