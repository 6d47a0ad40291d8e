using System.Globalization;
using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Init;
using Berth.Runtime.Interop;
using Berth.Runtime.Namespaces;
using Berth.Runtime.Process;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime;

public sealed partial class ContainerRuntime
{
    /// <summary>Runs <paramref name="process"/> in the running container <paramref name="id"/> (OCI <c>exec</c>, as
    /// <c>runc exec --process</c>): in its namespaces and cgroup, under the process's user, capabilities and
    /// no_new_privs, and under the container's seccomp filter, applied as the init applies them. Returns once the
    /// command runs; a command that does not exist or cannot be executed fails with
    /// <see cref="ContainerExecException"/> (127, 126).
    /// <para>How: a dedicated spawn thread joins the container's namespaces but the mount namespace (the berth
    /// binary is on the host's filesystem) and spawns <c>berth init exec</c> (<see cref="ExecInit"/>), which is moved
    /// into the cgroup, joins the mount namespace on its own main thread and executes the command. The container's
    /// namespaces are opened through a pidfd-pinned init whose start time is checked, so a recycled PID is never
    /// joined.</para></summary>
    public ExecProcess Exec(string id, ProcessSpec process, ExecOptions? options = null)
    {
        options ??= new ExecOptions();
        if (process.Args is not { Count: > 0 }) throw BerthException.Invalid("no command specified");
        var record = ReadRecord(id);
        if (StatusOf(record) != ContainerState.Running) throw BerthException.Conflict($"container {id} is not running");
        var spec = LoadSpec(record.Bundle);
        var initPath = _options.InitPath ?? Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");

        var pidfd = pidfd_open(record.Pid);
        if (pidfd < 0) throw BerthException.Conflict($"container {id} is not running");
        using var pin = new SafeFdHandle(pidfd);
        var proc = $"/proc/{record.Pid.ToString(CultureInfo.InvariantCulture)}/ns/";
        var joins = new List<(SafeFdHandle Fd, int Type)>();
        SafeFdHandle? mountNs = null, sync = null, console = null;
        var pid = 0;
        try
        {
            foreach (var ns in spec.Linux?.Namespaces ?? [])
            {
                var flag = NamespaceSet.FlagOf(ns.Type);
                if (flag == CLONE_NEWNS) continue;
                joins.Add((OpenFd(proc + ProcName(flag), O_RDONLY), flag));
            }
            using (var mnt = OpenFd(proc + "mnt", O_RDONLY))
            {
                // Numbered above the descriptors the spawn maps (0-3), so no file action overwrites it first.
                mountNs = new SafeFdHandle(CheckIo(fcntl(mnt.Fd, F_DUPFD_CLOEXEC, 10), "dup", "mnt namespace"));
            }
            // The namespaces opened are the container's only if the pinned init is still the container's.
            if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime)) throw BerthException.Conflict($"container {id} is not running");

            var cgroup = record.CgroupKind is { } kind
                ? CgroupManagers.FromState(kind, record.CgroupPaths ?? new Dictionary<string, string>(), record.CgroupCreated ?? [], CgroupLayout.Detect())
                : null;
            (pid, sync) = SpawnInit(initPath, ["berth", "init", "exec"], 0, joins, options.Stdio, cgroup, [mountNs], protectBinary: false);
            cgroup?.AddProcess(pid);
            CgroupMigration.End();
            // The container's filter, compiled once (the cache the init's came from) and sent along.
            using (var seccomp = CompiledSeccomp(spec))
            {
                var config = new ExecConfig { Process = process, NoOpenat2 = _options.NoOpenat2 };
                SendWithFd(sync, JsonSerializer.SerializeToUtf8Bytes(config, RuntimeJsonContext.Default.ExecConfig), seccomp);
            }
            console = AwaitInit(sync, pid, options.ConsoleSocket, "exec process", untilExec: true);
            var started = new ExecProcess(pid, console);
            console = null;
            pid = 0;
            return started;
        }
        finally
        {
            if (pid > 0)
            {
                kill(pid, SIGKILL);
                ProcessLauncher.Wait(pid);
            }
            console?.Dispose();
            sync?.Dispose();
            mountNs?.Dispose();
            foreach (var (fd, _) in joins) fd.Dispose();
        }
    }

    private static string ProcName(int flag) => flag switch
    {
        CLONE_NEWPID => "pid",
        CLONE_NEWNET => "net",
        CLONE_NEWIPC => "ipc",
        CLONE_NEWUTS => "uts",
        CLONE_NEWCGROUP => "cgroup",
        _ => throw new BerthException(ErrorKind.NotImplemented, $"exec: joining namespace 0x{flag:x} is not supported"),
    };
}
