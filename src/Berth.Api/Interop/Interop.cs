using System.Runtime.InteropServices;

namespace Berth.Api;

/// <summary>libc calls the daemon needs for its socket: its group (chown) and the mode it is born with (umask).</summary>
internal static partial class Interop
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, int owner, int group);

    [LibraryImport("libc")]
    internal static partial uint umask(uint mask);
}
