using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Process;

/// <summary>Session and stdio calls for the container monitor, which outlives the terminal and the CLI that started
/// it; layers above the runtime do not call libc themselves (STYLE.md §5).</summary>
public static class ProcessSession
{
    /// <summary>setsid(2): a session of its own, so the terminal's hangup or Ctrl-C does not reach the caller.</summary>
    public static bool NewSession() => setsid() >= 0;

    /// <summary>Points fds 0, 1 and 2 at /dev/null.</summary>
    public static void StdioToDevNull()
    {
        var fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
        if (fd < 0) return;
        for (var i = 0; i <= 2; i++) dup3(fd, i, 0);
        if (fd > 2) close(fd);
    }
}
