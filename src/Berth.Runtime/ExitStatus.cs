namespace Berth.Runtime;

/// <summary>How a container's init ended: <see cref="ExitCode"/> is the command's own code, or 128+n when it was
/// killed by signal n (Docker's convention); <see cref="OomKilled"/> when the kernel's OOM killer killed a process
/// of the container's cgroup.</summary>
public sealed record ExitStatus(int ExitCode, int? Signal, bool OomKilled)
{
    internal static ExitStatus FromWaitStatus(int status, bool oomKilled)
    {
        var termsig = status & 0x7f;
        if (termsig == 0) return new ExitStatus((status >> 8) & 0xff, null, oomKilled);
        return new ExitStatus(128 + termsig, termsig, oomKilled);
    }
}
