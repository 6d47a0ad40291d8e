namespace Berth.Engine.Containers;

/// <summary>How a session with a container's stdio ended: the exit code of the container (or exec'd command), or a
/// detach by the detach keys, after which the container runs on.</summary>
public readonly record struct SessionEnd(int ExitCode, bool Detached);

/// <summary>A front end's live connection to a running container or exec (<c>run</c> without <c>-d</c>,
/// <c>start -a</c>, <c>attach</c>, <c>exec</c>): the streams given at the start are relayed until it ends. The front
/// end forwards what its user does: a terminal's new size (<see cref="Resize"/>, the Engine API's
/// <c>/resize</c>) and signals (<see cref="Signal"/>, the CLI's sig-proxy).</summary>
public sealed class StdioSession
{
    private readonly Task<SessionEnd> _end;
    private readonly Action<TerminalSize> _resize;
    private readonly Action<int> _signal;

    internal StdioSession(Task<SessionEnd> end, Action<TerminalSize> resize, Action<int> signal, bool tty)
    {
        _end = end;
        _resize = resize;
        _signal = signal;
        Tty = tty;
    }

    /// <summary>Whether the process has a terminal: then output is one raw stream and Ctrl-C is input, not a signal.</summary>
    public bool Tty { get; }

    /// <summary>Completes when the process exited (and its exit was recorded) or the client detached.</summary>
    public Task<SessionEnd> WaitAsync(CancellationToken ct) => _end.WaitAsync(ct);

    /// <summary>Applies a new terminal size (ignored without a terminal, or once ended).</summary>
    public void Resize(TerminalSize size)
    {
        if (Tty && size.IsKnown && !_end.IsCompleted) _resize(size);
    }

    /// <summary>Sends a signal to the process (the container's init, or the exec'd command); ignored once it ended.</summary>
    public void Signal(int signal)
    {
        if (!_end.IsCompleted) _signal(signal);
    }
}
