using System.Globalization;
using System.Net.Sockets;
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

/// <summary>berth's OCI runtime: runs bundles (config.json + rootfs) with the lifecycle of the OCI runtime spec —
/// create (the init is set up and waits), start (the command runs), state, kill, delete — keeping each container's
/// state under <see cref="RuntimeOptions.StateRoot"/>/&lt;id&gt;.</summary>
/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/runtime.md"/>
public sealed partial class ContainerRuntime(RuntimeOptions options)
{
    private const string StateFile = "state.json", FifoFile = "exec.fifo";
    private readonly RuntimeOptions _options = options;

    public string StateRoot => _options.StateRoot;

    public static RuntimeSpec LoadSpec(string bundle)
    {
        var path = Path.Combine(bundle, "config.json");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw BerthException.NotFound($"bundle {bundle}: no config.json");
        }
        return RuntimeJson.ParseSpec(bytes, path);
    }

    /// <summary>Creates the container: namespaces, cgroup, mounts, pivot_root, credentials and seccomp are all in
    /// place and the init waits for <see cref="Start"/>. Fails with <see cref="ContainerExecException"/> when the
    /// command does not exist (127) or cannot be executed (126).</summary>
    public Container Create(string id, string bundle, CreateOptions? options = null)
    {
        ContainerIds.Validate(id);
        return Create(id, bundle, LoadSpec(Path.GetFullPath(bundle)), options);
    }

    /// <summary><see cref="Create(string, string, CreateOptions?)"/> with the bundle's configuration already in
    /// memory (the engine has just written it): <paramref name="spec"/> must be what <c>config.json</c> holds.</summary>
    public Container Create(string id, string bundle, RuntimeSpec spec, CreateOptions? options = null)
    {
        ContainerIds.Validate(id);
        options ??= new CreateOptions();
        bundle = Path.GetFullPath(bundle);
        if (spec.Process is null) throw BerthException.Invalid($"{bundle}/config.json: no process");
        if (spec.Root is null) throw BerthException.Invalid($"{bundle}/config.json: no root");
        HookRunner.Validate(spec.Hooks, $"{bundle}/config.json");
        if (spec.Linux?.UidMappings is { Count: > 0 }) throw new BerthException(ErrorKind.NotImplemented, "user namespaces (uid mappings) are not supported yet");
        var namespaces = NamespaceSet.From(spec.Linux);
        var rootfs = Path.GetFullPath(spec.Root.Path, bundle);
        if (!Directory.Exists(rootfs)) throw BerthException.NotFound($"rootfs {rootfs} does not exist");
        var initPath = _options.InitPath ?? Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");

        var stateDir = StateDirOf(id);
        Directory.CreateDirectory(StateRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            Directory.CreateDirectory(stateDir);
            if (Directory.EnumerateFileSystemEntries(stateDir).Any()) throw BerthException.Conflict($"container with id {id} already exists");
            File.SetUnixFileMode(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (IOException e)
        {
            throw new BerthException(ErrorKind.Conflict, $"container with id {id} already exists", e);
        }

        var hooks = spec.Hooks is { IsEmpty: false } h ? h : null;
        var record = new ContainerRecord { Id = id, Bundle = bundle, Rootfs = rootfs, Created = DateTimeOffset.UtcNow, Annotations = spec.Annotations, Hooks = hooks };
        WriteRecord(record);

        ICgroupManager? cgroup = null;
        SafeFdHandle? parentEnd = null;
        SafeFdHandle? console = null;
        var joins = new List<(SafeFdHandle, int)>();
        var pid = 0;
        try
        {
            var layout = CgroupLayout.Detect();
            cgroup = CgroupManagers.For(layout, spec.Linux?.CgroupsPath is { Length: > 0 } p ? p : $"/berth/{id}");
            // Recorded before it exists: if this process is killed from here on, delete still finds the cgroup and
            // kills what is inside (an init already spawned into it), instead of leaving both behind.
            WriteRecord(record with { CgroupKind = cgroup.Kind, CgroupPaths = cgroup.Paths, CgroupCreated = [] });
            cgroup.Create();
            cgroup.Apply(spec.Linux?.Resources);

            var fifo = Path.Combine(stateDir, FifoFile);
            CheckIo(mkfifoat(AT_FDCWD, fifo, 0x180), "mkfifo", fifo);
            // 0622: the init opens it for writing after switching to the container's user.
            File.SetUnixFileMode(fifo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

            foreach (var (nsPath, type) in namespaces.Joins) joins.Add((OpenFd(nsPath, O_RDONLY), type));

            (pid, parentEnd) = SpawnInit(initPath, ["berth", "init"], namespaces.CreateFlags, joins, options.Stdio, cgroup, [], protectBinary: true);
            Berth.Oci.Diagnostics.Timeline.Mark("runtime: init spawned");
            using (var seccomp = CompiledSeccomp(spec))
            {
                var config = InitConfig.For(spec, id, bundle, rootfs, fifo, layout, _options.NoOpenat2);
                SendWithFd(parentEnd, JsonSerializer.SerializeToUtf8Bytes(config, RuntimeJsonWriter.Default.InitConfig), seccomp);
            }
            // The v2 join waits for an RCU grace period: the init reads its configuration meanwhile, and goes on
            // (cgroup namespace, mounts, the command) only after this message.
            cgroup.AddProcess(pid);
            CgroupMigration.End();
            SendWithFd(parentEnd, InitConfig.CgroupJoined, null);
            Berth.Oci.Diagnostics.Timeline.Mark("runtime: init in its cgroups");
            // prestart and createRuntime hooks: in our namespaces, once the init has every mount in place and waits
            // before pivot_root.
            var initPid = pid;
            Action? runtimeHooks = hooks is null ? null : () =>
            {
                var state = new ContainerState { Id = id, Status = ContainerState.Creating, Pid = initPid, Bundle = bundle, Annotations = spec.Annotations };
                HookRunner.Run(HookRunner.Prestart, hooks.Prestart, state, bundle);
                HookRunner.Run(HookRunner.CreateRuntime, hooks.CreateRuntime, state, bundle);
            };
            console = AwaitInit(parentEnd, pid, options.ConsoleSocket, "container init", untilExec: false, runtimeHooks);
            Berth.Oci.Diagnostics.Timeline.Mark("runtime: init ready");

            var startTime = ProcessInfo.StartTime(pid) ?? throw new BerthException(ErrorKind.Internal, $"container {id}: init exited during create");
            WriteRecord(record with
            {
                Pid = pid,
                PidStartTime = startTime,
                CgroupKind = cgroup.Kind,
                CgroupPaths = cgroup.Paths,
                CgroupCreated = cgroup.Created,
            });
            var container = new Container(this, id, pid, cgroup, parentEnd, console);
            parentEnd = null;
            console = null;
            return container;
        }
        catch
        {
            if (pid > 0)
            {
                kill(pid, SIGKILL);
                ProcessLauncher.Wait(pid);
            }
            try { cgroup?.Destroy(); } catch (BerthException) { }
            try { Directory.Delete(stateDir, recursive: true); } catch (IOException) { }
            throw;
        }
        finally
        {
            parentEnd?.Dispose();
            console?.Dispose();
            foreach (var (fd, _) in joins) fd.Dispose();
        }
    }

    /// <summary>Spawns berth's init (<c>berth init</c> for a new container, <c>berth init exec</c> to join one) with
    /// a sync socket as its fd 3, born in the cgroup's v1 hierarchies (<see cref="ICgroupManager.ThreadFiles"/>);
    /// returns its PID and our end of the socket.</summary>
    private static (int Pid, SafeFdHandle Sync) SpawnInit(string initPath, IReadOnlyList<string> args, int unshareFlags,
        IReadOnlyList<(SafeFdHandle Fd, int Type)> joins, ContainerStdio? stdio, ICgroupManager? cgroup, IReadOnlyList<SafeFdHandle> extraFds,
        bool protectBinary)
    {
        var (ours, theirs) = SocketPair(SOCK_SEQPACKET);
        var threadFiles = new List<SafeFdHandle>();
        try
        {
            foreach (var f in cgroup?.ThreadFiles ?? []) threadFiles.Add(OpenFd(f, O_WRONLY));
            var pid = InitSpawner.Spawn(new InitSpawner.Request
            {
                InitPath = initPath,
                Args = args,
                UnshareFlags = unshareFlags,
                Joins = joins,
                SyncChild = theirs,
                Stdio = stdio,
                ProtectBinary = protectBinary,
                ExtraFds = extraFds,
                CgroupThreadFiles = threadFiles,
            });
            return (pid, ours);
        }
        catch
        {
            ours.Dispose();
            throw;
        }
        finally
        {
            theirs.Dispose();
            foreach (var f in threadFiles) f.Dispose();
        }
    }

    /// <summary>The container's seccomp filter compiled to BPF (from the cache) in a memfd for the init, if it has one.</summary>
    private SafeFdHandle? CompiledSeccomp(RuntimeSpec spec) =>
        spec.Linux?.Seccomp is { } s ? SeccompProgram.ForInit(s, _options.SeccompCacheDir) : null;

    /// <summary>Reads the init's reports: "console" (the pty master, kept or passed on to
    /// <paramref name="consoleSocket"/>), then "ready"; "exec" (126/127) or "error" when it could not get there. A
    /// container's init waits after "ready" for the start; an exec process (<paramref name="untilExec"/>) executes
    /// the command right away, and the socket closing on its execve is the success.</summary>
    private static SafeFdHandle? AwaitInit(SafeFdHandle sync, int pid, string? consoleSocket, string what, bool untilExec, Action? runtimeHooks = null)
    {
        var buffer = new byte[64 * 1024];
        SafeFdHandle? console = null;
        var ready = false;
        try
        {
            while (true)
            {
                var n = ReceiveWithFd(sync, buffer, out var fd);
                if (n == 0)
                {
                    fd?.Dispose();
                    if (ready) return console;
                    var exit = ExitStatus.FromWaitStatus(ProcessLauncher.Wait(pid), false);
                    throw new BerthException(ErrorKind.Internal, $"{what} exited before it was ready (exit {exit.ExitCode})");
                }
                var message = InitMessage.Decode(buffer.AsSpan(0, n));
                switch (message.Type)
                {
                    case InitMessage.Console when fd is not null:
                        if (consoleSocket is null)
                        {
                            console?.Dispose();
                            console = fd;
                        }
                        else
                        {
                            using (fd) SendConsole(consoleSocket, fd);
                        }
                        break;
                    case InitMessage.Ready:
                        fd?.Dispose();
                        if (!untilExec) return console;
                        ready = true;
                        break;
                    case InitMessage.Hooks when runtimeHooks is not null:
                        fd?.Dispose();
                        runtimeHooks();
                        SendWithFd(sync, InitHooks.Done, null);
                        break;
                    case InitMessage.Exec:
                        fd?.Dispose();
                        throw new ContainerExecException(message.ExitCode, message.Message ?? "exec failed");
                    default:
                        fd?.Dispose();
                        throw new BerthException(message.Kind, $"{what}: {message.Message}");
                }
            }
        }
        catch
        {
            console?.Dispose();
            throw;
        }
    }

    /// <summary>Sends the pty master to a console socket as runc does: one SCM_RIGHTS message.</summary>
    private static void SendConsole(string path, SafeFdHandle master)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        using var handle = new SafeFdHandle((int)socket.Handle, ownsHandle: false);
        SendWithFd(handle, "/dev/ptmx"u8, master);
    }

    /// <summary>Lets the created container's init execve its command (OCI <c>start</c>).</summary>
    public void Start(string id)
    {
        var record = ReadRecord(id);
        var status = StatusOf(record);
        if (status != ContainerState.Created) throw BerthException.Conflict($"cannot start container {id} in state {status}");
        var fifo = Path.Combine(StateDirOf(id), FifoFile);
        using var fd = OpenFd(fifo, O_RDONLY | O_NONBLOCK);
        Span<byte> one = stackalloc byte[1];
        var deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            var n = (int)ReadOrAgain(fd, one);
            if (n == 1) break;
            // 0 (no writer yet) or EAGAIN (writer, no byte yet): the init is between its open and its write.
            if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime))
                throw BerthException.Conflict($"container {id} exited before it was started");
            if (Environment.TickCount64 > deadline) throw new BerthException(ErrorKind.Unavailable, $"container {id}: init did not respond to start");
            Thread.Sleep(1);
        }
        File.Delete(fifo);
        if (record.Hooks?.Poststart is { Count: > 0 } poststart)
        {
            var state = new ContainerState { Id = id, Status = ContainerState.Running, Pid = record.Pid, Bundle = record.Bundle, Annotations = record.Annotations };
            foreach (var warning in HookRunner.RunAll(HookRunner.Poststart, poststart, state, record.Bundle)) _options.Warning?.Invoke(warning);
        }
    }

    private static unsafe long ReadOrAgain(SafeFdHandle fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = (long)read(fd.Fd, p, buffer.Length);
            if (n < 0 && Last is EAGAIN or EINTR) return 0;
            return CheckIo(n, "read", "exec.fifo");
        }
    }

    /// <summary>The exit status of a container's init that the caller, its parent, reaped itself without the
    /// <see cref="Container"/> (a monitor that re-executed itself): <paramref name="waitStatus"/> from waitpid, or
    /// null when it was lost, and the OOM kill from the container's cgroup, which must not be deleted yet (once it is,
    /// as after a forced delete, no OOM kill is reported).</summary>
    public ExitStatus ExitStatusOf(string id, int? waitStatus)
    {
        bool oom;
        try
        {
            var record = ReadRecord(id);
            oom = record.CgroupKind is { } kind
                && CgroupManagers.FromState(kind, record.CgroupPaths ?? new Dictionary<string, string>(), record.CgroupCreated ?? [], CgroupLayout.Detect()).OomKillCount() > 0;
        }
        catch (Exception e) when (e is BerthException { Kind: ErrorKind.NotFound } or DirectoryNotFoundException or FileNotFoundException)
        {
            oom = false;
        }
        return ExitStatus.FromWaitStatus(waitStatus, oom);
    }

    public ContainerState State(string id)
    {
        var record = ReadRecord(id);
        var status = StatusOf(record);
        return new ContainerState
        {
            Id = record.Id,
            Status = status,
            Pid = status is ContainerState.Created or ContainerState.Running ? record.Pid : 0,
            Bundle = record.Bundle,
            Annotations = record.Annotations,
        };
    }

    public IReadOnlyList<ContainerState> List()
    {
        if (!Directory.Exists(StateRoot)) return [];
        var list = new List<ContainerState>();
        foreach (var dir in Directory.EnumerateDirectories(StateRoot).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(dir);
            if (!ContainerIds.IsValid(id) || !File.Exists(Path.Combine(dir, StateFile))) continue;
            list.Add(State(id));
        }
        return list;
    }

    /// <summary>Sends a signal to the init, or with <paramref name="all"/> to every process in its cgroup.</summary>
    public void Kill(string id, int signal, bool all = false)
    {
        var record = ReadRecord(id);
        var status = StatusOf(record);
        if (status is not (ContainerState.Created or ContainerState.Running))
            throw BerthException.Conflict($"container {id} is not running");
        if (all && record.CgroupKind is { } kind)
        {
            var cgroup = CgroupManagers.FromState(kind, record.CgroupPaths ?? new Dictionary<string, string>(), record.CgroupCreated ?? [], CgroupLayout.Detect());
            foreach (var p in cgroup.Processes()) kill(p, signal);
            ThawAfterSignal(record);
            return;
        }
        // A pidfd pins the process: after checking its start time, the signal cannot reach a recycled PID.
        var pidfd = pidfd_open(record.Pid);
        if (pidfd < 0) throw BerthException.Conflict($"container {id} is not running");
        using var handle = new SafeFdHandle(pidfd);
        if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime)) throw BerthException.Conflict($"container {id} is not running");
        CheckIo(pidfd_send_signal(pidfd, signal), "kill", id);
        ThawAfterSignal(record);
    }

    /// <summary>Removes a stopped (or, with <paramref name="force"/>, any) container: its processes, cgroup and
    /// state. Its mounts live only in its mount namespace and went with its last process.</summary>
    public void Delete(string id, bool force = false)
    {
        var record = ReadRecord(id);
        var status = StatusOf(record);
        if (status == ContainerState.Running && !force)
            throw BerthException.Conflict($"cannot delete container {id} that is not stopped: {status}");
        if (status is ContainerState.Running or ContainerState.Created)
        {
            kill(record.Pid, SIGKILL);
            ThawAfterSignal(record);
            var deadline = Environment.TickCount64 + 10_000;
            while (ProcessInfo.IsAlive(record.Pid, record.PidStartTime))
            {
                if (Environment.TickCount64 > deadline) throw new BerthException(ErrorKind.Unavailable, $"container {id}: init did not die");
                Thread.Sleep(2);
            }
        }
        if (record.CgroupKind is { } kind)
        {
            var cgroup = CgroupManagers.FromState(kind, record.CgroupPaths ?? new Dictionary<string, string>(), record.CgroupCreated ?? [], CgroupLayout.Detect());
            cgroup.Destroy();
        }
        Directory.Delete(StateDirOf(id), recursive: true);
        if (record.Hooks?.Poststop is { Count: > 0 } poststop)
        {
            var state = new ContainerState { Id = id, Status = ContainerState.Stopped, Bundle = record.Bundle, Annotations = record.Annotations };
            foreach (var warning in HookRunner.RunAll(HookRunner.Poststop, poststop, state, record.Bundle)) _options.Warning?.Invoke(warning);
        }
    }

    private string StatusOf(ContainerRecord record)
    {
        if (record.Pid == 0) return ContainerState.Creating;
        if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime)) return ContainerState.Stopped;
        return File.Exists(Path.Combine(StateDirOf(record.Id), FifoFile)) ? ContainerState.Created : ContainerState.Running;
    }

    private string StateDirOf(string id)
    {
        ContainerIds.Validate(id);
        return Path.Combine(StateRoot, id);
    }

    private ContainerRecord ReadRecord(string id)
    {
        var path = Path.Combine(StateDirOf(id), StateFile);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw BerthException.NotFound($"container {id} does not exist");
        }
        return JsonSerializer.Deserialize(bytes, RuntimeJsonContext.Default.ContainerRecord)
            ?? throw BerthException.DataLoss($"container {id}: empty state");
    }

    private void WriteRecord(ContainerRecord record)
    {
        var dir = StateDirOf(record.Id);
        var tmp = Path.Combine(dir, $".{StateFile}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(record, RuntimeJsonWriter.Default.ContainerRecord));
        File.Move(tmp, Path.Combine(dir, StateFile), overwrite: true);
    }
}
