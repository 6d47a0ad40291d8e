using Berth.Runtime.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

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

    /// <summary>execve(2) of this process's own binary with <paramref name="args"/> (argv[0] included) and the same
    /// environment, keeping <paramref name="keep"/> open across it; every other descriptor closes on exec (.NET opens
    /// them all close-on-exec). The PID, and with it the parenthood of our children, stays. Returns only when execve
    /// failed, with the reason, leaving the descriptors as they were.</summary>
    public static string ExecSelf(IReadOnlyList<string> args, IReadOnlyList<System.Runtime.InteropServices.SafeHandle> keep) =>
        Environment.ProcessPath is { } path ? Exec(path, args, keep) : "cannot find the berth executable";

    /// <summary>execve(2) of <paramref name="path"/>, as <see cref="ExecSelf"/>.</summary>
    public static unsafe string Exec(string path, IReadOnlyList<string> args, IReadOnlyList<System.Runtime.InteropServices.SafeHandle> keep)
    {
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>().Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToList();
        var fds = keep.Select(h => (int)h.DangerousGetHandle()).ToList();
        foreach (var fd in fds) fcntl(fd, F_SETFD, 0);
        using var native = new NativeStrings();
        try
        {
            execve(native.Utf8(path), native.Array(args), native.Array(env));
            return $"execve {path}: {Describe(Last)}";
        }
        finally
        {
            foreach (var fd in fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }

    /// <summary>waitpid(2) for a child of ours: its wait status, or null when it is not our child (any more).</summary>
    public static int? Wait(int pid)
    {
        int status;
        while (waitpid(pid, out status, 0) < 0)
        {
            if (Last != EINTR) return null;
        }
        return status;
    }
}
