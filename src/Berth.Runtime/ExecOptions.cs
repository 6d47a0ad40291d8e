namespace Berth.Runtime;

/// <summary>How <see cref="ContainerRuntime.Exec"/> connects the joined process: its stdio (null members are
/// inherited from the caller, as <c>runc exec</c> does) and, for a process with a terminal, where the pty master goes.</summary>
public sealed record ExecOptions
{
    public ContainerStdio? Stdio { get; init; }
    /// <summary>A unix socket that receives the pty master (runc's <c>--console-socket</c>); without one, the master
    /// is <see cref="ExecProcess.Console"/>.</summary>
    public string? ConsoleSocket { get; init; }
}
