using System.Runtime.InteropServices;
using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Init;

/// <summary><c>--init</c>: the init stays PID 1 and runs the command as its child, as tini (docker-init) does. It
/// forwards the signals it receives to the command, reaps every process re-parented to it (orphans in a PID
/// namespace go to its PID 1, and a shell or an application that does not wait would leave them as zombies), and
/// exits with the command's status (128+n when signal n killed it) once the command exits; the namespace's other
/// processes then die with it. Nothing comes from the image: the init is berth, already running.
/// <para>The command is spawned from the init's main thread after credentials, capabilities, no_new_privs and the
/// seccomp filter are in place on that thread; the child of posix_spawn (clone on the calling thread) inherits them
/// all, exactly as an execve would keep them. The init's other threads (the runtime's, and the signal thread
/// registered here before pivot_root so nothing is loaded from disk later) keep berth's credentials; the init is
/// non-dumpable, so no container process can ptrace it or open its /proc files.</para></summary>
internal static class Reaper
{
    /// <summary>The spec annotation that asks for it ("true"). An annotation, not process args, so the bundle stays
    /// runnable by any OCI runtime (which ignores it and runs the command as PID 1).</summary>
    public const string Annotation = "io.berth.init";

    // Forwarded as tini does: everything but SIGCHLD, SIGKILL, SIGSTOP, the synchronous faults (SEGV, BUS, FPE, ILL,
    // TRAP, SYS, ABRT), SIGTTIN/SIGTTOU, and SIGPIPE (which .NET ignores on purpose).
    private static readonly int[] Forwarded = [1, 2, 3, 10, 12, 14, 15, 18, 20, 23, 24, 25, 26, 27, 28, 29, 30];
    // Those whose default action does not end a process: before the command starts they are dropped, and the others
    // end the init as they would have ended the command.
    private static readonly int[] Harmless = [18, 20, 23, 28];

    private static readonly List<PosixSignalRegistration> s_registrations = [];
    private static volatile int s_child;

    public static bool IsRequested(Spec.RuntimeSpec spec) =>
        spec.Annotations?.TryGetValue(Annotation, out var v) == true && v == "true";

    /// <summary>Installs the forwarding handlers; runs before pivot_root.</summary>
    public static void Prepare()
    {
        foreach (var signo in Forwarded)
        {
            var number = signo;
            s_registrations.Add(PosixSignalRegistration.Create((PosixSignal)number, ctx =>
            {
                ctx.Cancel = true;
                var child = s_child;
                if (child > 0) kill(child, number);
                else if (Array.IndexOf(Harmless, number) < 0) _exit(128 + number);
            }));
        }
    }

    /// <summary>Spawns the command, closes <paramref name="sync"/> (end of stream tells the caller the command runs),
    /// and reaps until the command exits. Returns its exit code.</summary>
    public static int Run(string path, IReadOnlyList<string> args, IReadOnlyList<string> env, bool terminal, SafeFdHandle sync)
    {
        // No descriptor of ours but stdio reaches the command (CVE-2024-21626).
        close_range(3, uint.MaxValue, CLOSE_RANGE_CLOEXEC);
        var error = ContainerInit.SpawnCommand(path, args, env, terminal, out var pid);
        if (error != 0)
        {
            var code = error is ENOENT or ENOTDIR ? 127 : 126;
            throw new ExecFailure(code, $"exec: \"{path}\": {Describe(error)}");
        }
        s_child = pid;
        sync.Dispose();

        while (true)
        {
            var reaped = waitpid(-1, out var status, 0);
            if (reaped == pid) return ExitStatus.FromWaitStatus(status, false).ExitCode;
            if (reaped < 0 && Last is not EINTR) return 255; // ECHILD: the command is gone without a status
        }
    }
}
