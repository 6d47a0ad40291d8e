namespace Berth.Runtime;

/// <summary>Per-create choices of the caller (the OCI CLI's create flags).</summary>
public sealed record CreateOptions
{
    /// <summary>The container's stdio; null members inherit the caller's.</summary>
    public ContainerStdio? Stdio { get; init; }

    /// <summary>With <c>process.terminal</c>: a unix socket path to send the pty master to (runc's
    /// <c>--console-socket</c>). Without it the master is kept on <see cref="Container.Console"/>.</summary>
    public string? ConsoleSocket { get; init; }
}
