using System.Runtime.InteropServices;

namespace Berth.Storage.Interop;

/// <summary>The calls the build cache needs to copy files faithfully: ownership and times of a path, never
/// following a final symlink (lchown(2), utimensat(2) with AT_SYMLINK_NOFOLLOW).</summary>
internal static partial class Libc
{
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimespecPair
    {
        public long AccessSeconds, AccessNanoseconds, ModifySeconds, ModifyNanoseconds;
    }

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string path, uint owner, uint group);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int utimensat(int dirfd, string path, in TimespecPair times, int flags);
}
