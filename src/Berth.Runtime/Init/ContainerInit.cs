using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime.Interop;
using Berth.Runtime.Namespaces;
using Berth.Runtime.Rootfs;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Runtime.Init;

/// <summary>The container init: berth re-executed as PID 1 of the new namespaces (<c>berth init</c>, dispatched in
/// Program.cs before anything else starts). It builds the container's view of the system and then replaces itself
/// with the container's command. Every credential, seccomp and exec step runs on the main thread, the one that
/// execve keeps: capabilities, no_new_privs and seccomp filters are per-thread.
/// <para>It loads nothing from the container's filesystem (P3): libseccomp is used, and the filter compiled, before
/// pivot_root; libc is already mapped; users were resolved by the caller; no NSS, no terminfo, no Console.</para></summary>
public static class ContainerInit
{
    private const int SyncFd = 3;

    public static int Run(string[] args)
    {
        if (args is [_, "exec"]) return ExecInit.Run();
        // Before anything else: no container process may open our /proc/[pid]/{exe,fd,mem} (P2).
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        var sync = new SafeFdHandle(SyncFd);
        if (fcntl(SyncFd, F_SETFD, FD_CLOEXEC) < 0)
        {
            WriteStderr("berth init: not started by berth (no sync socket on fd 3)\n");
            return 125;
        }
        try
        {
            var config = ReceiveConfig(sync, RuntimeJsonContext.Default.InitConfig, "berth init", out var seccompProgram);
            Berth.Oci.Diagnostics.Timeline.Mark("init: configuration read");
            // Returns the command's status under --init; otherwise it returns only by throwing (execve replaced us).
            return Execute(config, sync, seccompProgram);
        }
        catch (ExecFailure e)
        {
            Report(sync, new InitMessage { Type = InitMessage.Exec, Message = e.Message, ExitCode = e.ExitCode });
            return e.ExitCode;
        }
        catch (Exception e)
        {
            var kind = e is BerthException b ? b.Kind : ErrorKind.Internal;
            Report(sync, new InitMessage { Type = InitMessage.Error, Message = e.Message, Kind = kind });
            return 125;
        }
    }

    /// <summary>The configuration (<c>berth init</c>'s or <c>berth init exec</c>'s, named by <paramref name="role"/>
    /// in errors), and the seccomp filter already compiled to BPF if the caller sent one along
    /// (<see cref="SeccompProgram"/>).</summary>
    internal static T ReceiveConfig<T>(SafeFdHandle sync, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string role, out byte[]? seccompProgram)
    {
        var message = ReceiveMessage(sync, 4 << 20, out var programFd);
        using (programFd) seccompProgram = programFd is null ? null : SeccompProgram.Read(programFd);
        if (message.Length == 0) throw new BerthException(ErrorKind.Internal, $"{role}: the caller went away before sending the configuration");
        return JsonSerializer.Deserialize(message, type) ?? throw new BerthException(ErrorKind.Internal, $"{role}: empty configuration");
    }

    /// <summary>Waits for the caller's go-ahead (<paramref name="expected"/>, e.g. "cgroup joined").</summary>
    private static void Await(SafeFdHandle sync, ReadOnlySpan<byte> expected)
    {
        var message = ReceiveMessage(sync, 64, out var fd);
        fd?.Dispose();
        var what = Encoding.ASCII.GetString(expected);
        if (message.Length == 0) throw new BerthException(ErrorKind.Internal, $"berth init: the caller went away before \"{what}\"");
        if (!message.AsSpan().SequenceEqual(expected)) throw new BerthException(ErrorKind.Internal, $"berth init: unexpected message instead of \"{what}\"");
    }

    /// <summary>Right before pivot_root, every mount in place: the caller's prestart and createRuntime hooks (it
    /// answers when they have run), then createContainer, ours, in the container's mount namespace.</summary>
    private static void BeforePivotRoot(InitHooks hooks, SafeFdHandle sync, string rootfs)
    {
        if (hooks.Runtime)
        {
            SendWithFd(sync, Message(new InitMessage { Type = InitMessage.Hooks }), null);
            Await(sync, InitHooks.Done);
        }
        if (hooks.CreateContainer is not { Count: > 0 } createHooks) return;
        // In the rootfs, as runc runs them.
        Process.HookRunner.Run(Process.HookRunner.CreateContainer, createHooks, hooks.State(ContainerState.Creating), rootfs);
    }

    private static int Execute(InitConfig config, SafeFdHandle sync, byte[]? seccompProgram)
    {
        var spec = config.ToSpec();
        var process = spec.Process ?? throw BerthException.Invalid("config.json has no process");
        var linux = spec.Linux ?? new LinuxSpec();
        var namespaces = NamespaceSet.From(linux);
        PathInRoot.DisableOpenat2 |= config.NoOpenat2;

        // Device nodes and the like are created with the modes the spec gives, not masked by our umask.
        umask(0);

        // Everything that touches host files happens before pivot_root. The caller sends the profile compiled (and
        // leaves it out of the spec).
        using var filter = seccompProgram is not null ? SeccompFilter.FromProgram(seccompProgram) : null;
        var lastCap = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var fifo = OpenFd(config.ExecFifo, O_PATH);
        var plan = MountPlanner.Plan(spec, config.Rootfs, File.Exists("/proc/kcore"));

        // The caller puts us into the container's cgroups while we got this far; a cgroup namespace created now has
        // them as its root.
        Await(sync, InitConfig.CgroupJoined);
        Berth.Oci.Diagnostics.Timeline.Mark("init: in its cgroups");
        if (namespaces.CreateCgroupNamespace) CheckIo(unshare(CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)");
        // A development build (JIT) loads assemblies lazily from the host's disk, which pivot_root takes away;
        // encode a report once now. (The NativeAOT binary has everything linked in.)
        _ = Message(new InitMessage { Type = InitMessage.Ready });

        var reaper = Reaper.IsRequested(spec);
        if (reaper) Reaper.Prepare();

        var hooks = config.Hooks;
        // Serialized now: a development build (JIT) could not load the serializer's assemblies after pivot_root.
        var startState = hooks?.StartContainer is { Count: > 0 } ? RuntimeJson.Serialize(hooks.State(ContainerState.Created)) : null;
        using var applier = new MountPlanApplier(config.Cgroups) { BeforePivotRoot = hooks is null ? null : () => BeforePivotRoot(hooks, sync, config.Rootfs) };
        applier.Apply(plan);
        Berth.Oci.Diagnostics.Timeline.Mark("init: rootfs ready");

        if (applier.ConsoleMaster is { } master)
        {
            SendWithFd(sync, Message(new InitMessage { Type = InitMessage.Console }), master);
            master.Dispose();
        }
        if (applier.ConsoleSlave is { } slave)
        {
            // The pty becomes our controlling terminal and stdio; the command inherits all three.
            CheckIo(setsid(), "setsid");
            CheckIo(ioctl(slave.Fd, TIOCSCTTY, 0), "ioctl(TIOCSCTTY)");
            for (var fd = 0; fd <= 2; fd++) CheckIo(dup3(slave.Fd, fd, 0), "dup3");
            slave.Dispose();
        }

        if (namespaces.Has(CLONE_NEWUTS))
        {
            if (!string.IsNullOrEmpty(spec.Hostname)) SetHostname(spec.Hostname);
            if (!string.IsNullOrEmpty(spec.Domainname)) SetDomainname(spec.Domainname);
        }
        else if (!string.IsNullOrEmpty(spec.Hostname))
        {
            throw BerthException.Invalid("a hostname needs a new UTS namespace");
        }

        if (config.Loopback && namespaces.Has(CLONE_NEWNET)) Loopback.Up();

        ProcessCredentials.SetRlimits(process.Rlimits);
        if (process.OomScoreAdj is { } adj)
        {
            using var f = OpenFd("/proc/self/oom_score_adj", O_WRONLY);
            WriteAll(f, Encoding.ASCII.GetBytes(adj.ToString(System.Globalization.CultureInfo.InvariantCulture)), "oom_score_adj");
        }

        // The working directory is resolved inside the root with magic links refused: "WORKDIR /proc/self/fd/N" must
        // not put the command's cwd on a host directory (CVE-2024-21626); getcwd then confirms we are inside.
        using (var root = PathInRoot.OpenRoot("/"))
        using (var cwd = PathInRoot.MkdirAll(root, process.Cwd))
        {
            CheckIo(fchdir(cwd.Fd), "chdir", process.Cwd);
        }
        if (GetCwd() is not { } where || !where.StartsWith('/'))
            throw new BerthException(ErrorKind.PermissionDenied, $"working directory {process.Cwd} is outside the container");

        var args = process.Args is { Count: > 0 } a ? a : throw BerthException.Invalid("config.json: process.args is empty");
        var env = process.Env ?? [];
        var executable = LookPath(args[0], env);

        var nnp = process.NoNewPrivileges == true;
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in before capabilities are dropped
        // (and must allow what follows: capset, setresuid, prctl — Docker's profile does). With it, it goes last.
        if (!nnp) filter?.Load();
        ProcessCredentials.Apply(process.User, process.Capabilities, lastCap);
        if (nnp) CheckIo(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
        if (nnp) filter?.Load();

        Report(sync, new InitMessage { Type = InitMessage.Ready });

        // Wait for "start": opening the FIFO for writing blocks until a reader opens it.
        using (var started = OpenFd(fifo.ProcPath, O_WRONLY))
            WriteAll(started, "0"u8, "exec.fifo");

        if (startState is not null) Process.HookRunner.Run(Process.HookRunner.StartContainer, hooks!.StartContainer, startState, null);
        Berth.Oci.Diagnostics.Timeline.Mark("init: exec");
        umask(process.User.Umask ?? 0x12 /* 022 */);
        if (reaper) return Reaper.Run(executable, args, env, process.Terminal == true, sync);
        Exec(executable, args, env);
        return 125;
    }

    /// <summary>Finds the command as execve(2) would run it, before the start, so "not found" (127) and "not
    /// executable" (126) are reported by create rather than by a half-started container. Runs after pivot_root, so
    /// every path is the container's.</summary>
    internal static string LookPath(string file, IReadOnlyList<string> env)
    {
        if (file.Contains('/'))
        {
            var why = Check(file);
            return why switch
            {
                null => file,
                ENOENT or ENOTDIR => throw new ExecFailure(127, $"exec: \"{file}\": stat {file}: no such file or directory"),
                _ => throw new ExecFailure(126, $"exec: \"{file}\": permission denied"),
            };
        }
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DockerDefaults.Path[5..];
        var denied = false;
        foreach (var dir in path.Split(':'))
        {
            var candidate = (dir.Length == 0 ? "." : dir) + "/" + file;
            var why = Check(candidate);
            if (why is null) return candidate;
            if (why is EACCES) denied = true;
        }
        if (denied) throw new ExecFailure(126, $"exec: \"{file}\": permission denied");
        throw new ExecFailure(127, $"exec: \"{file}\": executable file not found in $PATH");

        static int? Check(string p)
        {
            if (statx(AT_FDCWD, p, 0, STATX_TYPE | STATX_MODE, out var st) != 0) return Last;
            if ((st.stx_mode & S_IFMT) != S_IFREG) return EACCES;
            return (st.stx_mode & 0x49 /* 0111 */) == 0 ? EACCES : null;
        }
    }

    internal static unsafe void Exec(string path, IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        // Not freed: execve replaces us, or the process ends soon after.
        var native = new NativeStrings();
        var p = native.Utf8(path);
        var argv = native.Array(args);
        var envp = native.Array(env);

        // .NET ignores SIGPIPE; an ignored disposition survives execve, and the command must get the default.
        signal(SIGPIPE, SIG_DFL);
        var empty = stackalloc byte[SigSetSize];
        sigemptyset(empty);
        pthread_sigmask(SIG_SETMASK, empty, null);
        // Every descriptor but stdio closes on exec (CVE-2024-21626), including the sync socket, whose EOF tells the
        // caller the exec succeeded.
        close_range(3, uint.MaxValue, CLOSE_RANGE_CLOEXEC);

        execve(p, argv, envp);
        var errno = Last;
        var code = errno is ENOENT or ENOTDIR ? 127 : 126;
        throw new ExecFailure(code, $"exec: \"{path}\": {Describe(errno)}");
    }

    /// <summary>posix_spawn of the command for <see cref="Reaper"/>: default signal dispositions and an empty mask
    /// (as <see cref="Exec"/> leaves them), its own process group, which with a terminal becomes the foreground
    /// group (tini's isolate_child). Returns 0 or the errno of the failed execve.</summary>
    internal static unsafe int SpawnCommand(string path, IReadOnlyList<string> args, IReadOnlyList<string> env, bool terminal, out int pid)
    {
        // Not freed: execve replaces us, or the process ends soon after.
        var native = new NativeStrings();
        var p = native.Utf8(path);
        var argv = native.Array(args);
        var envp = native.Array(env);
        var fileActions = NativeMemory.AllocZeroed(SpawnFileActionsSize);
        var attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        var mask = stackalloc byte[SigSetSize];
        var defaults = stackalloc byte[SigSetSize];
        posix_spawn_file_actions_init(fileActions);
        posix_spawnattr_init(attr);
        sigemptyset(mask);
        sigfillset(defaults);
        posix_spawnattr_setsigmask(attr, mask);
        posix_spawnattr_setsigdefault(attr, defaults);
        posix_spawnattr_setpgroup(attr, 0);
        posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
        if (terminal) posix_spawn_file_actions_addtcsetpgrp_np(fileActions, 0);
        var rc = posix_spawn(out pid, p, fileActions, attr, argv, envp);
        posix_spawn_file_actions_destroy(fileActions);
        posix_spawnattr_destroy(attr);
        NativeMemory.Free(fileActions);
        NativeMemory.Free(attr);
        return rc;
    }

    internal static byte[] Message(InitMessage m) => m.Encode();

    internal static void Report(SafeFdHandle sync, InitMessage m)
    {
        try
        {
            SendWithFd(sync, Message(m), null);
        }
        catch (SyscallException)
        {
            // The caller is gone (e.g. `create` exited); the exit code still tells.
            if (m.Type != InitMessage.Ready) WriteStderr($"berth init: {m.Message}\n");
        }
    }

    internal static unsafe void WriteStderr(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        fixed (byte* p = b) write(2, p, b.Length);
    }
}
