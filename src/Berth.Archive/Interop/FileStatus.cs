namespace Berth.Archive.Interop;

/// <summary>The fields of <c>struct statx</c> that archive code reads.</summary>
internal readonly record struct FileStatus(
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
    uint CtimeNanoseconds = 0)
{
    public uint Type => Mode & Interop.S_IFMT;

    public bool IsDirectory => Type == Interop.S_IFDIR;

    public bool IsSymlink => Type == Interop.S_IFLNK;

    public bool IsRegular => Type == Interop.S_IFREG;
}
