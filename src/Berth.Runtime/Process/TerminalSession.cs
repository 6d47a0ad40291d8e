using System.Runtime.InteropServices;
using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Process;

/// <summary>Connects the caller's terminal to a container's pty master: raw mode on our stdin while attached, input
/// and output copied on their own threads, window size followed on SIGWINCH. Dispose restores the terminal.
/// With <c>copyOutput: false</c> the caller reads the master itself (to log the output as it shows it).</summary>
public sealed class TerminalSession : IDisposable
{
    private readonly SafeFdHandle _master;
    private readonly byte[]? _saved;
    private readonly Thread? _output;
    private readonly PosixSignalRegistration? _winch;

    public TerminalSession(SafeFdHandle master, bool copyOutput = true)
    {
        _master = master;
        if (isatty(1) == 1) CopyWindowSize(1, master.Fd);
        _saved = MakeRaw(0);
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize(1, master.Fd));
        if (copyOutput)
        {
            _output = new Thread(() => Pump(master.Fd, 1)) { IsBackground = true, Name = "berth-tty-out" };
            _output.Start();
        }
        // Input may block on our stdin forever after the container ends; it is a background thread and not joined.
        new Thread(() => Pump(0, master.Fd)) { IsBackground = true, Name = "berth-tty-in" }.Start();
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until the container's side of the pty is closed and its
    /// last output has been written.</summary>
    public void Drain(TimeSpan timeout) => _output?.Join(timeout);

    public void Dispose()
    {
        _winch?.Dispose();
        if (_saved is not null) RestoreTerminal(0, _saved);
    }
}

/// <summary>Our stdin's terminal in raw mode while alive (for <c>attach</c> to a container with a terminal, whose pty is
/// on the other side of the monitor's socket); restored on dispose. Nothing when stdin is not a terminal.</summary>
public sealed class RawTerminal : IDisposable
{
    private readonly byte[]? _saved = isatty(0) == 1 ? MakeRaw(0) : null;

    public void Dispose()
    {
        if (_saved is not null) RestoreTerminal(0, _saved);
    }
}
