// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;

namespace Berth.Engine.Interop;

/// <summary>The few libc calls the engine makes itself: the monitor detaching from its caller's session and
/// terminal, and joining a running container for <c>exec</c>.</summary>
internal static partial class Interop
{
    internal const string Libc = "libc.so.6";

    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int setsid();

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int dup2(int oldfd, int newfd);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Libc)]
    internal static partial int isatty(int fd);

    /// <summary>Points fds 0, 1 and 2 at /dev/null: the monitor outlives the terminal that started it.</summary>
    internal static void StdioToDevNull()
    {
        var fd = open("/dev/null", O_RDWR | O_NOCTTY, 0);
        if (fd < 0) return;
        for (var i = 0; i <= 2; i++) dup2(fd, i);
        if (fd > 2) close(fd);
    }
}
