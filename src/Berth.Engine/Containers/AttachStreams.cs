namespace Berth.Engine.Containers;

/// <summary>A front end's end of a container's (or an exec's) stdio: the CLI passes its console, the Engine API a
/// hijacked connection's streams. With a terminal there is one output stream (the terminal's, raw) and input is
/// raw bytes too.</summary>
public sealed record AttachStreams
{
    /// <summary>What the client types or pipes in; null when stdin is not attached. Its end closes the
    /// container's stdin (without a terminal). The session reads it on a thread of its own until its end or a
    /// detach, possibly after the session ended: the caller ends a read that is left by ending the stream's input
    /// (closing the connection, a pipe's write end).</summary>
    public Stream? Stdin { get; init; }

    /// <summary>The container's stdout (the terminal's output with a terminal); null to discard.</summary>
    public Stream? Stdout { get; init; }

    /// <summary>The container's stderr; null sends it to <see cref="Stdout"/> (and a caller whose stdout and stderr
    /// are one file passes null, so writes keep the order the container made them in).</summary>
    public Stream? Stderr { get; init; }

    /// <summary>The client's terminal size, applied before the command starts (with a terminal).</summary>
    public TerminalSize? Size { get; init; }

    /// <summary>The key sequence that detaches from a terminal; docker's Ctrl-P Ctrl-Q unless given.</summary>
    public DetachKeys DetachKeys { get; init; } = DetachKeys.Default;
}
