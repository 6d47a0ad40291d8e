using Berth.Oci.Errors;

namespace Berth.Cli;

/// <summary>Docker's exit codes, which scripts depend on: 0 success, 1 an error berth reports, 125 a usage error
/// or berth's own failure around a container, 126/127 a command that cannot be run or found, 130 Ctrl-C.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 125;
    /// <summary>docker's exit for a --format template that does not parse (sysexits EX_USAGE).</summary>
    public const int BadTemplate = 64;
    public const int CannotInvoke = 126;
    public const int NotFound = 127;
    public const int Interrupted = 130;

    /// <summary>Every error berth reports exits 1, as the docker CLI does for daemon errors; usage errors (125)
    /// are decided by the parser, and container exit codes by the container.</summary>
    public static int For(ErrorKind kind) => Failure;
}
