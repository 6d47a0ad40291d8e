using Berth.Runtime;
using Berth.Runtime.Interop;
using Berth.Runtime.Process;

namespace Berth.Engine.Interop;

/// <summary>Engine code does not call libc (STYLE.md §5): processes, sessions and joining containers go through the
/// runtime's public API (<see cref="ProcessLauncher"/>, <see cref="ProcessSession"/>,
/// <see cref="ContainerRuntime.Exec"/>). The members below keep the monitor's start (ContainerService.Start.cs)
/// compiling unchanged while that file is being reworked; they forward to the runtime.</summary>
internal static partial class Interop
{
    internal const string Libc = "libc.so.6";

    /// <summary>Spawns berth's monitor with <paramref name="fds"/> as its stdio (0-2); joining namespaces is
    /// <see cref="ContainerRuntime.Exec"/>'s business now, so <paramref name="joins"/> must be empty.</summary>
    internal static int SpawnJoined(string path, IReadOnlyList<string> argv, IReadOnlyList<(int Fd, int Type)> joins, IReadOnlyList<(int From, int To)> fds)
    {
        if (joins.Count > 0) throw new ArgumentException("joining namespaces goes through ContainerRuntime.Exec", nameof(joins));
        SafeFdHandle? Fd(int to) => fds.Where(f => f.To == to).Select(f => new SafeFdHandle(f.From, ownsHandle: false)).FirstOrDefault();
        try
        {
            return ProcessLauncher.Spawn(path, argv, new ContainerStdio { Stdin = Fd(0), Stdout = Fd(1), Stderr = Fd(2) });
        }
        catch (SyscallException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    internal static int waitpid(int pid, out int status, int options)
    {
        _ = options;
        var s = ProcessLauncher.Wait(pid);
        status = s ?? 0;
        return s is null ? -1 : pid;
    }
}
