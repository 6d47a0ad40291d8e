using System.Runtime.InteropServices;
using Berth.Engine.Containers;
using Berth.Runtime.Process;

namespace Berth.Cli.Commands;

/// <summary>The CLI's end of a session with a container's stdio (<c>run</c>, <c>start -a</c>, <c>attach</c>,
/// <c>exec</c>): its console becomes the session's streams, its terminal goes raw while input passes to the
/// container's terminal (restored on every way out), the terminal's size follows SIGWINCH, and the signals it gets
/// are forwarded (docker's sig-proxy). The engine sees only streams, a size and calls.</summary>
internal static class ConsoleSession
{
    /// <summary>What a signal to the CLI does to the session.</summary>
    internal enum SignalProxy
    {
        /// <summary>Signals are the CLI's own (a terminal session: Ctrl-C is input).</summary>
        None,
        /// <summary>Each is passed on; the process decides.</summary>
        Forward,
        /// <summary>Passed on, and Ctrl-C stops the container: SIGINT first, SIGKILL if it is still running a second
        /// later or on a second Ctrl-C (an init that installed no handler ignores SIGINT, so forwarding alone would
        /// leave it running).</summary>
        ForwardAndStopOnInterrupt,
    }

    /// <summary>docker's refusal of <c>-it</c> when stdin is no terminal (exit 1).</summary>
    public const string NotATty = "the input device is not a TTY";

    /// <summary>docker's word, after a detach by the detach keys from <c>attach</c> and <c>exec</c>.</summary>
    public const string ReadEscapeSequence = "read escape sequence";

    public static bool StdinIsTerminal => Terminal.IsTerminal(0);

    /// <summary>Runs a session from <paramref name="start"/> to its end.</summary>
    public static SessionEnd Run(bool tty, bool stdin, DetachKeys detachKeys, SignalProxy proxy, Func<AttachStreams, Task<StdioSession>> start)
    {
        // A terminal is read with read(2) as it comes: the console's own stream reads a terminal a line at a time,
        // echoing and editing it, which held every key until Enter.
        using var input = !stdin ? null
            : StdinIsTerminal ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1)
            : Console.OpenStandardInput();
        var streams = new AttachStreams
        {
            Stdin = input,
            Stdout = new DescriptorStream(1),
            // One stream when stdout and stderr are one file (2>&1, a terminal): the container's writes keep their order.
            Stderr = tty || SameFile("/proc/self/fd/1", "/proc/self/fd/2") ? null : new DescriptorStream(2),
            Size = SizeOf(1),
            DetachKeys = detachKeys,
        };
        // Raw while our input goes to the container's terminal: keys pass byte by byte, Ctrl-C and the arrows included.
        using var raw = tty && stdin ? new RawTerminal() : null;
        var session = start(streams).GetAwaiter().GetResult();
        using var winch = tty && !OperatingSystem.IsWindows() ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
        {
            if (SizeOf(1) is { } size) session.Resize(size);
        }) : null;
        var registrations = proxy == SignalProxy.None ? [] : Forward(session, proxy == SignalProxy.ForwardAndStopOnInterrupt);
        try
        {
            // Ctrl-C is the container's to handle (forwarded above), not a reason to stop waiting.
            return session.WaitAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    private static List<PosixSignalRegistration> Forward(StdioSession session, bool stopOnInterrupt)
    {
        var registrations = new List<PosixSignalRegistration>();
        void Add(PosixSignal s, int number) => registrations.Add(PosixSignalRegistration.Create(s, ctx =>
        {
            ctx.Cancel = true;
            session.Signal(number);
        }));
        Add(PosixSignal.SIGTERM, 15);
        Add(PosixSignal.SIGHUP, 1);
        Add(PosixSignal.SIGQUIT, 3);
        Add((PosixSignal)10, 10);
        Add((PosixSignal)12, 12);
        if (!stopOnInterrupt)
        {
            Add(PosixSignal.SIGINT, 2);
            return registrations;
        }
        var interrupts = 0;
        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            if (Interlocked.Increment(ref interrupts) > 1)
            {
                session.Signal(9);
                return;
            }
            session.Signal(2);
            var ended = session.WaitAsync(CancellationToken.None);
            _ = Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(1))).ContinueWith(_ =>
            {
                if (!ended.IsCompleted) session.Signal(9);
            }, TaskScheduler.Default);
        }));
        return registrations;
    }

    private static TerminalSize? SizeOf(int fd) => Terminal.TryGetSize(fd, out var rows, out var columns) ? new TerminalSize(rows, columns) : null;

    /// <summary>Whether two links name the same open file (<c>/proc/self/fd/N</c>: a path, a pipe:[inode], a pty).</summary>
    private static bool SameFile(string a, string b)
    {
        try
        {
            return File.ResolveLinkTarget(a, returnFinalTarget: false)?.FullName is { } ta && ta == File.ResolveLinkTarget(b, returnFinalTarget: false)?.FullName;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
