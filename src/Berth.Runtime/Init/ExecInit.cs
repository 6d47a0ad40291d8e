using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime.Interop;
using Berth.Runtime.Rootfs;
using Berth.Runtime.Security;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Init;

/// <summary>The process that joins a running container (<c>berth init exec</c>, started by
/// <see cref="ContainerRuntime.Exec"/>). The caller's spawn thread has already joined the container's PID, IPC, UTS,
/// network and cgroup namespaces and the caller has moved us into the container's cgroup; the mount namespace waits on
/// fd 4, because the berth binary must be found on the host's filesystem to be spawned at all.
/// <code>
///  caller                              berth init exec (main thread, the one execve keeps)
///  ──────                              ───────────────────────────────────────────────────
///  spawn (joined namespaces) ───────►  non-dumpable; receive ExecConfig on fd 3
///  cgroup.procs ← pid                  compile seccomp (libseccomp is on the host's disk)
///  send ExecConfig ─────────────────►  unshare(CLONE_FS); setns(fd 4, CLONE_NEWNS): the container's root and cwd
///                                      pty (console message), cwd inside the root, rlimits, look up the command
///                                      seccomp / credentials / caps / no_new_privs, in the init's order
///  ◄──────────────────────────────────  "ready"; execve(command): fd 3 closes on exec
/// </code>
/// The filter, credentials and capabilities are the container's, applied exactly as <see cref="ContainerInit"/>
/// applies them (per-thread, on this thread).</summary>
internal static class ExecInit
{
    private const int SyncFd = 3, MountNsFd = 4;

    public static int Run()
    {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        var sync = new SafeFdHandle(SyncFd);
        if (fcntl(SyncFd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(MountNsFd, F_SETFD, FD_CLOEXEC) < 0)
        {
            ContainerInit.WriteStderr("berth init exec: not started by berth (no sync socket on fd 3)\n");
            return 125;
        }
        try
        {
            var config = ContainerInit.ReceiveConfig(sync, RuntimeJsonContext.Default.ExecConfig, "berth init exec", out var seccompProgram);
            Execute(config, seccompProgram, sync);
            return 125; // Execute returns only by throwing
        }
        catch (ExecFailure e)
        {
            ContainerInit.Report(sync, new InitMessage { Type = InitMessage.Exec, Message = e.Message, ExitCode = e.ExitCode });
            return e.ExitCode;
        }
        catch (Exception e)
        {
            var kind = e is BerthException b ? b.Kind : ErrorKind.Internal;
            ContainerInit.Report(sync, new InitMessage { Type = InitMessage.Error, Message = e.Message, Kind = kind });
            return 125;
        }
    }

    private static void Execute(ExecConfig config, byte[]? seccompProgram, SafeFdHandle sync)
    {
        var process = config.Process;
        PathInRoot.DisableOpenat2 |= config.NoOpenat2;
        var args = process.Args is { Count: > 0 } a ? a : throw BerthException.Invalid("exec: no command");
        var env = process.Env ?? [];

        // Everything that reads the host's files happens before the mount namespace changes.
        using var filter = seccompProgram is not null ? SeccompFilter.FromProgram(seccompProgram) : null;
        var lastCap = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // A development build (JIT) loads code lazily from the host's disk: encode a report once now, and load
        // System.Linq (the lookup of the command and the credentials use it after setns).
        _ = ContainerInit.Message(new InitMessage { Type = InitMessage.Ready });
        _ = env.LastOrDefault();

        // setns(CLONE_NEWNS) refuses a thread that shares its filesystem context (root, cwd) with others; after it,
        // this thread's root and cwd are the container's root.
        CheckIo(unshare(CLONE_FS), "unshare(CLONE_FS)");
        CheckIo(setns(MountNsFd, CLONE_NEWNS), "setns(mnt)");
        close(MountNsFd);

        using var root = PathInRoot.OpenRoot("/");
        if (process.Terminal == true)
        {
            // A pty of the container's own devpts instance: the command's controlling terminal and stdio.
            var master = PathInRoot.Open(root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
            using (master)
            using (var peer = OpenPtyPeer(master))
            {
                if (process.ConsoleSize is { } size) SetWindowSize(master.Fd, (ushort)size.Height, (ushort)size.Width);
                SendWithFd(sync, ContainerInit.Message(new InitMessage { Type = InitMessage.Console }), master);
                CheckIo(setsid(), "setsid");
                CheckIo(ioctl(peer.Fd, TIOCSCTTY, 0), "ioctl(TIOCSCTTY)");
                for (var fd = 0; fd <= 2; fd++) CheckIo(dup3(peer.Fd, fd, 0), "dup3");
            }
        }

        // The working directory is opened inside the root with magic links refused (CVE-2024-21626: -w /proc/self/fd/N).
        try
        {
            using var cwd = PathInRoot.Open(root, process.Cwd, O_PATH | O_DIRECTORY);
            CheckIo(fchdir(cwd.Fd), "chdir", process.Cwd);
        }
        catch (SyscallException e)
        {
            throw new ExecFailure(126, $"exec failed: unable to start container process: chdir to cwd (\"{process.Cwd}\") set in config.json failed: {Describe(e.Errno)}");
        }
        if (GetCwd() is not { } where || !where.StartsWith('/'))
            throw new BerthException(ErrorKind.PermissionDenied, $"working directory {process.Cwd} is outside the container");

        ProcessCredentials.SetRlimits(process.Rlimits);
        var executable = ContainerInit.LookPath(args[0], env);

        var nnp = process.NoNewPrivileges == true;
        if (!nnp) filter?.Load();
        ProcessCredentials.Apply(process.User, process.Capabilities, lastCap);
        if (nnp) CheckIo(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
        if (nnp) filter?.Load();

        ContainerInit.Report(sync, new InitMessage { Type = InitMessage.Ready });
        umask(process.User.Umask ?? 0x12 /* 022 */);
        ContainerInit.Exec(executable, args, env);
    }
}
