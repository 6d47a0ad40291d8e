using System.Runtime.InteropServices;

namespace Berth.Runtime;

/// <summary>The descriptors that become the container's stdin, stdout and stderr; null members are inherited from
/// the calling process (the OCI runtime CLI's behaviour).</summary>
public sealed record ContainerStdio
{
    public SafeHandle? Stdin { get; init; }
    public SafeHandle? Stdout { get; init; }
    public SafeHandle? Stderr { get; init; }
}
