namespace Berth.Runtime.Init;

/// <summary>The command could not be run: 127 when it does not exist, 126 when it exists but cannot be executed
/// (Docker's codes, which scripts depend on).</summary>
internal sealed class ExecFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
