// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const ulong TIOCSCTTY = 0x540E, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCGPTN = 0x80045430,
        TIOCSPTLCK = 0x40045431, TIOCGPTPEER = 0x5441;
    internal const int TCSANOW = 0;

    [StructLayout(LayoutKind.Sequential)]
    internal struct winsize
    {
        public ushort ws_row;
        public ushort ws_col;
        public ushort ws_xpixel;
        public ushort ws_ypixel;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int ioctl(int fd, ulong request, void* arg);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int tcgetattr(int fd, byte* termios);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial void cfmakeraw(byte* termios);

    [LibraryImport(Libraries.Libc)]
    internal static partial int isatty(int fd);

    /// <summary>sizeof(struct termios) is 60 on glibc; a larger buffer is harmless.</summary>
    internal const int TermiosSize = 128;
}

internal static partial class Interop
{
    /// <summary>Puts a terminal in raw mode and returns its previous settings for <see cref="RestoreTerminal"/>.</summary>
    internal static unsafe byte[]? MakeRaw(int fd)
    {
        if (isatty(fd) != 1) return null;
        var saved = new byte[TermiosSize];
        fixed (byte* p = saved)
        {
            if (tcgetattr(fd, p) != 0) return null;
            var raw = stackalloc byte[TermiosSize];
            new Span<byte>(p, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
            cfmakeraw(raw);
            CheckIo(tcsetattr(fd, TCSANOW, raw), "tcsetattr");
        }
        return saved;
    }

    internal static unsafe void RestoreTerminal(int fd, byte[] saved)
    {
        fixed (byte* p = saved) tcsetattr(fd, TCSANOW, p);
    }

    /// <summary>Copies the window size of <paramref name="from"/> (a terminal) to <paramref name="to"/> (a pty master).</summary>
    internal static unsafe void CopyWindowSize(int from, int to)
    {
        winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) ioctl(to, TIOCSWINSZ, &ws);
    }

    internal static unsafe void SetWindowSize(int fd, ushort rows, ushort columns)
    {
        var ws = new winsize { ws_row = rows, ws_col = columns };
        CheckIo(ioctl(fd, TIOCSWINSZ, &ws), "ioctl(TIOCSWINSZ)");
    }

    /// <summary>Copies bytes from one descriptor to another until end of input or an error (EIO on a pty master whose
    /// other side is gone ends it too).</summary>
    internal static unsafe void Pump(int from, int to)
    {
        var buffer = stackalloc byte[16 * 1024];
        while (true)
        {
            var n = (long)read(from, buffer, 16 * 1024);
            if (n < 0 && Last == EINTR) continue;
            if (n <= 0) return;
            var done = 0L;
            while (done < n)
            {
                var w = (long)write(to, buffer + done, (nint)(n - done));
                if (w < 0 && Last == EINTR) continue;
                if (w <= 0) return;
                done += w;
            }
        }
    }
}

internal static partial class Interop
{
    /// <summary>Unlocks a pty master and opens its peer through the master itself (TIOCGPTPEER), never by a
    /// /dev/pts path a container could race (CVE-2025-52565).</summary>
    internal static unsafe SafeFdHandle OpenPtyPeer(SafeFdHandle master)
    {
        var unlock = 0;
        CheckIo(ioctl(master.Fd, TIOCSPTLCK, &unlock), "ioctl(TIOCSPTLCK)");
        return new SafeFdHandle(CheckIo(ioctl(master.Fd, TIOCGPTPEER, (nint)(O_RDWR | O_NOCTTY | O_CLOEXEC)), "ioctl(TIOCGPTPEER)"));
    }
}
