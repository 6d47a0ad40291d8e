using System.Runtime.InteropServices;
using System.Text;
using Berth.Oci.Errors;
using Berth.Runtime.Interop;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Process;

/// <summary>Runs OCI hooks (<see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#posix-platform-hooks"/>):
/// each is executed with exactly its <c>args</c> (argv[0] included; just the path when there are none) and
/// <c>env</c>, the container's state as JSON on its stdin, its stdout and stderr kept for the error message, and
/// killed after its <c>timeout</c>. Hooks of one phase run in order; the first failure stops the phase.
/// <para>The runtime runs <c>prestart</c>, <c>createRuntime</c>, <c>poststart</c> and <c>poststop</c> (host
/// namespaces); the container's init runs <c>createContainer</c> (its mount namespace, before pivot_root) and
/// <c>startContainer</c> (inside the container, right before the command). No managed code runs in the child:
/// posix_spawn.</para></summary>
internal static unsafe class HookRunner
{
    public const string Prestart = "prestart", CreateRuntime = "createRuntime", CreateContainer = "createContainer",
        StartContainer = "startContainer", Poststart = "poststart", Poststop = "poststop";

    private const int OutputShown = 4096;

    /// <summary>Runs the hooks of <paramref name="phase"/> in order, in <paramref name="workingDirectory"/> (runc's:
    /// the bundle for the runtime's hooks, the rootfs for createContainer) or ours; throws for the first that fails.</summary>
    public static void Run(string phase, IReadOnlyList<Hook>? hooks, ContainerState state, string? workingDirectory) =>
        Run(phase, hooks, RuntimeJson.Serialize(state), workingDirectory);

    /// <summary><see cref="Run(string, IReadOnlyList{Hook}?, ContainerState, string?)"/> with the state already
    /// serialized (the init does it before pivot_root).</summary>
    public static void Run(string phase, IReadOnlyList<Hook>? hooks, byte[] stdin, string? workingDirectory)
    {
        if (hooks is not { Count: > 0 }) return;
        for (var i = 0; i < hooks.Count; i++)
        {
            if (RunOne(hooks[i], stdin, workingDirectory) is { } why)
                throw new BerthException(ErrorKind.Internal, $"error running {phase} hook #{i} ({hooks[i].Path}): {why}");
        }
    }

    /// <summary>For the phases whose failures the spec makes warnings (<c>poststart</c>, <c>poststop</c>): runs every
    /// hook, and returns a message for each that failed.</summary>
    public static IReadOnlyList<string> RunAll(string phase, IReadOnlyList<Hook>? hooks, ContainerState state, string? workingDirectory)
    {
        if (hooks is not { Count: > 0 }) return [];
        var stdin = RuntimeJson.Serialize(state);
        var failures = new List<string>();
        for (var i = 0; i < hooks.Count; i++)
        {
            if (RunOne(hooks[i], stdin, workingDirectory) is { } why) failures.Add($"error running {phase} hook #{i} ({hooks[i].Path}): {why}");
        }
        return failures;
    }

    /// <summary>Checks what the spec requires of every hook: an absolute path and a positive timeout.</summary>
    public static void Validate(Hooks? hooks, string where)
    {
        if (hooks is null) return;
        foreach (var (phase, list) in new[]
                 {
                     (Prestart, hooks.Prestart), (CreateRuntime, hooks.CreateRuntime), (CreateContainer, hooks.CreateContainer),
                     (StartContainer, hooks.StartContainer), (Poststart, hooks.Poststart), (Poststop, hooks.Poststop),
                 })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var hook = list![i];
                if (string.IsNullOrEmpty(hook.Path) || !hook.Path.StartsWith('/'))
                    throw BerthException.Invalid($"{where}: hooks.{phase}[{i}].path \"{hook.Path}\" must be an absolute path");
                if (hook.Timeout is <= 0)
                    throw BerthException.Invalid($"{where}: hooks.{phase}[{i}].timeout must be greater than zero");
            }
        }
    }

    /// <summary>Runs one hook to its end: null when it exited 0, otherwise why not.</summary>
    private static string? RunOne(Hook hook, byte[] state, string? workingDirectory)
    {
        var (readEnd, writeEnd) = Pipe();
        using var output = new SafeFdHandle(CheckIo(memfd_create("berth-hook-output", MFD_CLOEXEC), "memfd_create"));
        using var native = new NativeStrings();
        var fileActions = NativeMemory.AllocZeroed(SpawnFileActionsSize);
        var attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        var mask = NativeMemory.AllocZeroed(SigSetSize);
        var defaults = NativeMemory.AllocZeroed(SigSetSize);
        int pid;
        try
        {
            using (readEnd)
            using (writeEnd)
            {
                // The whole state goes into the pipe before the hook starts; a hook that never reads stdin cannot block us.
                if (state.Length > 60 * 1024) fcntl(writeEnd.Fd, F_SETPIPE_SZ, state.Length + 4096);
                WriteAll(writeEnd, state, "hook stdin");
                writeEnd.Dispose();

                var args = hook.Args is { Count: > 0 } a ? a : [hook.Path];
                var path = native.Utf8(hook.Path);
                var argv = native.Array(args);
                var envp = native.Array(hook.Env ?? []);
                posix_spawn_file_actions_init(fileActions);
                posix_spawnattr_init(attr);
                posix_spawn_file_actions_adddup2(fileActions, readEnd.Fd, 0);
                posix_spawn_file_actions_adddup2(fileActions, output.Fd, 1);
                posix_spawn_file_actions_adddup2(fileActions, output.Fd, 2);
                posix_spawn_file_actions_addclosefrom_np(fileActions, 3);
                if (workingDirectory is not null) posix_spawn_file_actions_addchdir_np(fileActions, workingDirectory);
                sigemptyset(mask);
                sigfillset(defaults);
                posix_spawnattr_setsigmask(attr, mask);
                posix_spawnattr_setsigdefault(attr, defaults);
                posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
                var rc = posix_spawn(out pid, path, fileActions, attr, argv, envp);
                if (rc != 0) return $"exec: {Describe(rc)}";
            }
        }
        finally
        {
            posix_spawn_file_actions_destroy(fileActions);
            posix_spawnattr_destroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
        }

        var status = 0;
        var deadline = hook.Timeout is { } seconds ? Environment.TickCount64 + seconds * 1000L : long.MaxValue;
        var timedOut = false;
        var sleep = 1;
        while (true)
        {
            var r = waitpid(pid, out status, WNOHANG);
            if (r == pid) break;
            if (r < 0 && Last != EINTR) return $"wait: {Describe(Last)}";
            if (!timedOut && Environment.TickCount64 >= deadline)
            {
                kill(pid, SIGKILL);
                timedOut = true;
            }
            usleep((uint)sleep * 1000); // not Thread.Sleep: a development build could not load it after pivot_root
            sleep = Math.Min(sleep * 2, 20);
        }
        if (timedOut) return $"timeout after {hook.Timeout} seconds";
        var exit = ExitStatus.FromWaitStatus(status, false);
        if (exit.ExitCode == 0 && exit.Signal is null) return null;
        var text = Encoding.UTF8.GetString(ReadWhole(output, OutputShown, "hook output")).Trim();
        var result = exit.Signal is { } sig ? $"signal: killed by signal {sig}" : $"exit status {exit.ExitCode}";
        return text.Length == 0 ? result : $"{result}, output: {text}";
    }

    private static (SafeFdHandle Read, SafeFdHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        CheckIo(pipe2(fds, O_CLOEXEC), "pipe2");
        return (new SafeFdHandle(fds[0]), new SafeFdHandle(fds[1]));
    }
}
