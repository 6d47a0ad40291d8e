using static Berth.Runtime.Interop.Interop;

namespace Berth.Runtime.Process;

/// <summary>Starts berth's helper processes (the container monitor) for layers above the runtime, which do not call
/// libc themselves (STYLE.md §5): posix_spawn with the given stdio and nothing else inherited, default signal
/// dispositions, and only the environment a development build's .NET host needs (as the init gets).</summary>
public static class ProcessLauncher
{
    /// <summary>Spawns <paramref name="path"/> with <paramref name="args"/> (argv[0] included) and
    /// <paramref name="environment"/> (NAME=value) added; returns its PID.</summary>
    public static int Spawn(string path, IReadOnlyList<string> args, ContainerStdio stdio, IReadOnlyList<string>? environment = null) =>
        InitSpawner.Spawn(new InitSpawner.Request
        {
            InitPath = path,
            Args = args,
            UnshareFlags = 0,
            SyncChild = null,
            Stdio = stdio,
            ProtectBinary = false,
            Environment = environment ?? [],
        });

    /// <summary>waitpid(2) for a child of ours: its wait status, or null when it is not our child (any more).</summary>
    public static int? Wait(int pid)
    {
        int status;
        while (waitpid(pid, out status, 0) < 0)
        {
            if (LastErrno != EINTR) return null;
        }
        return status;
    }
}
