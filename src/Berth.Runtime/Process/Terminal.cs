using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;

namespace Berth.Runtime.Process;

/// <summary>Terminal calls for the layers above the runtime, which do not call libc themselves: whether a
/// descriptor is a terminal, a terminal's window size, and setting a pty master's.</summary>
public static class Terminal
{
    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary>The window size of terminal <paramref name="fd"/>; false when it is no terminal or reports none.</summary>
    public static unsafe bool TryGetSize(int fd, out ushort rows, out ushort columns)
    {
        winsize ws;
        var ok = ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0;
        (rows, columns) = ok ? (ws.ws_row, ws.ws_col) : ((ushort)0, (ushort)0);
        return ok;
    }

    /// <summary>Sets a pty's window size (the kernel sends SIGWINCH to its foreground process group); false when the
    /// pty is gone.</summary>
    public static bool TrySetSize(SafeFdHandle pty, ushort rows, ushort columns)
    {
        try
        {
            SetWindowSize(pty.Fd, rows, columns);
            return true;
        }
        catch (SyscallException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
