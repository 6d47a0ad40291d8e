using Berth.Oci.Errors;

namespace Berth.Runtime;

/// <summary>The container's command could not be executed: <see cref="ExitCode"/> is 127 (not found) or 126 (not
/// executable), the codes <c>run</c> exits with. Anything else that fails in the init is a plain
/// <see cref="BerthException"/> (exit 125).</summary>
public sealed class ContainerExecException(int exitCode, string message) : BerthException(ErrorKind.InvalidArgument, message)
{
    public int ExitCode { get; } = exitCode;
}
