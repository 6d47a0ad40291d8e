namespace Berth.Runtime.Process;

/// <summary>kill(2) for callers above the runtime, which do not call libc themselves.</summary>
public static class ProcessSignals
{
    public static bool Send(int pid, int signal) => Interop.Interop.kill(pid, signal) == 0;
}
