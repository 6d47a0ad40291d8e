using Berth.Oci.Errors;

namespace Berth.Build;

/// <summary>A RUN step's command exited non-zero. The message is BuildKit's (<c>process "…" did not complete
/// successfully: exit code: N</c>, with the last lines of output); <see cref="Command"/> and <see cref="ExitCode"/>
/// let a front end word it as its builder does (the Engine API's legacy builder: <c>The command '…' returned a
/// non-zero code: N</c>) and exit with the command's code.</summary>
public sealed class RunStepFailedException(IReadOnlyList<string> command, int exitCode, string message)
    : BerthException(ErrorKind.InvalidArgument, message)
{
    /// <summary>The argv the step ran (the shell form's <c>/bin/sh -c …</c> included).</summary>
    public IReadOnlyList<string> Command { get; } = command;

    public int ExitCode { get; } = exitCode;
}
