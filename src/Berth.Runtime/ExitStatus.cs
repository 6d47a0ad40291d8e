namespace Berth.Runtime;

/// <summary>How a container's init ended: <see cref="ExitCode"/> is the command's own code, or 128+n when it was
/// killed by signal n (Docker's convention); <see cref="OomKilled"/> when the kernel's OOM killer killed a process
/// of the container's cgroup.</summary>
public sealed record ExitStatus(int ExitCode, int? Signal, bool OomKilled)
{
    /// <summary>From waitpid's status; null when the status was lost (reaped elsewhere): reported as killed, as
    /// Docker does for a lost container.</summary>
    internal static ExitStatus FromWaitStatus(int? waitStatus, bool oomKilled)
    {
        if (waitStatus is not { } status) return new ExitStatus(137, 9, oomKilled);
        return FromWaitStatus(status, oomKilled);
    }

    internal static ExitStatus FromWaitStatus(int status, bool oomKilled)
    {
        var termsig = status & 0x7f;
        if (termsig == 0) return new ExitStatus((status >> 8) & 0xff, null, oomKilled);
        return new ExitStatus(128 + termsig, termsig, oomKilled);
    }
}
