using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Interop;
using Berth.Runtime.Process;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Storage.Metadata;
using static Berth.Engine.Interop.Interop;

namespace Berth.Engine.Containers;

/// <summary>What <c>exec</c> runs in a running container.</summary>
public sealed record ExecRequest
{
    public required IReadOnlyList<string> Command { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public bool Tty { get; init; }
    public bool Interactive { get; init; }
    public bool Detach { get; init; }
    public bool Privileged { get; init; }
}

public sealed partial class ContainerService
{
    private static readonly (string Name, int Type)[] ExecNamespaces =
    [
        ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS), ("net", CLONE_NEWNET), ("cgroup", CLONE_NEWCGROUP), ("pid", CLONE_NEWPID),
    ];

    private static readonly Dictionary<string, int> RlimitNumbers = new(StringComparer.Ordinal)
    {
        ["RLIMIT_CPU"] = 0, ["RLIMIT_FSIZE"] = 1, ["RLIMIT_DATA"] = 2, ["RLIMIT_STACK"] = 3, ["RLIMIT_CORE"] = 4,
        ["RLIMIT_RSS"] = 5, ["RLIMIT_NPROC"] = 6, ["RLIMIT_NOFILE"] = 7, ["RLIMIT_MEMLOCK"] = 8, ["RLIMIT_AS"] = 9,
    };

    /// <summary><c>exec</c>: runs a command in a running container — its namespaces, its cgroup, its user and
    /// capabilities (the container's spec, or <c>-u</c>/<c>--privileged</c>) — through the exec helper
    /// (<see cref="ExecHelper"/>). Returns the command's exit code (0 at once with <c>-d</c>). Not yet applied to
    /// the exec'd process: the container's seccomp filter (the runtime compiles it; see the report of issue 3).</summary>
    public int Exec(ContainerRow row, ExecRequest request, CancellationToken ct)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"container {row.Id} is not running");
        if (request.Command.Count == 0) throw BerthException.Invalid("no command specified");
        var spec = ContainerRuntime.LoadSpec(DirOf(row.Id));
        var process = spec.Process ?? throw BerthException.DataLoss($"container {row.Id}: config.json has no process");
        var rootfs = $"/proc/{row.Pid.ToString(CultureInfo.InvariantCulture)}/root";

        var user = request.User is { Length: > 0 } u ? UserDatabase.Load(rootfs).Resolve(u) : process.User;
        var env = new List<string>(process.Env ?? []);
        foreach (var e in request.Env)
        {
            var key = e.Contains('=') ? e[..e.IndexOf('=')] : e;
            var value = e.Contains('=') ? e : Environment.GetEnvironmentVariable(e) is { } v ? $"{e}={v}" : null;
            env.RemoveAll(x => x.StartsWith(key + "=", StringComparison.Ordinal));
            if (value is not null) env.Add(value);
        }
        if (request.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");
        var caps = process.Capabilities;
        // Only the capabilities this kernel knows: capset refuses the others.
        var lastCap = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), CultureInfo.InvariantCulture);
        var all = Capabilities.Mask(Capabilities.All) & (lastCap >= 63 ? ulong.MaxValue : (1UL << (lastCap + 1)) - 1);
        var config = new ExecConfig
        {
            Args = request.Command,
            Env = env,
            Cwd = request.WorkingDir is { Length: > 0 } w ? w : process.Cwd,
            Uid = user.Uid,
            Gid = user.Gid,
            Groups = user.AdditionalGids ?? [],
            Bounding = request.Privileged ? all : Capabilities.Mask(caps?.Bounding),
            Effective = request.Privileged ? all : Capabilities.Mask(caps?.Effective),
            Permitted = request.Privileged ? all : Capabilities.Mask(caps?.Permitted),
            Inheritable = request.Privileged ? 0 : Capabilities.Mask(caps?.Inheritable),
            NoNewPrivileges = process.NoNewPrivileges == true,
            Tty = request.Tty,
            Rlimits = (process.Rlimits ?? []).Where(r => RlimitNumbers.ContainsKey(r.Type))
                .Select(r => new[] { (ulong)RlimitNumbers[r.Type], r.Soft, r.Hard }).ToList(),
        };

        var nsFds = new List<SafeFdHandle>();
        SafeFdHandle? ours = null, theirs = null;
        int pid;
        try
        {
            foreach (var (name, _) in ExecNamespaces) nsFds.Add(OpenNamespace(row.Pid, name));
            var mountNs = OpenNamespace(row.Pid, "mnt");
            nsFds.Add(mountNs);
            // The namespaces must be the container's, not those of a process that took its PID since.
            if (!ProcessStart.IsAlive(row.Pid, row.PidStart)) throw BerthException.Conflict($"container {row.Id} is not running");
            (ours, theirs) = SocketPair();
            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            var nullFd = (int)devNull.DangerousGetHandle();
            int stdin = request.Detach || request.Tty || !request.Interactive ? nullFd : 0;
            int stdout = request.Detach || request.Tty ? nullFd : 1;
            int stderr = request.Detach || request.Tty ? nullFd : 2;
            var berth = Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");
            pid = SpawnJoined(berth, ["berth", ContainerMonitor.Role, "exec"],
                ExecNamespaces.Select((n, i) => (nsFds[i].Fd, n.Type)).ToList(),
                [(stdin, 0), (stdout, 1), (stderr, 2), (theirs.Fd, 3), (mountNs.Fd, 4)]);
        }
        catch (IOException e)
        {
            ours?.Dispose();
            throw new BerthException(ErrorKind.Internal, $"exec in container {row.Id}: {e.Message}", e);
        }
        finally
        {
            theirs?.Dispose();
            foreach (var fd in nsFds) fd.Dispose();
        }

        using (ours)
        {
            try
            {
                CgroupManagers.For(CgroupLayout.Detect(), $"/berth/{row.Id}").AddProcess(pid);
                if (!Send(ours.Fd, JsonSerializer.SerializeToUtf8Bytes(config, ContainerJsonContext.Default.ExecConfig)))
                    throw new BerthException(ErrorKind.Internal, $"exec in container {row.Id}: the helper went away");
            }
            catch
            {
                ProcessSignals.Send(pid, 9);
                waitpid(pid, out _, 0);
                throw;
            }

            SafeFdHandle? master = null;
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var n = Receive(ours.Fd, buffer, out var fd);
                if (n <= 0) break; // closed on exec: the command runs
                var message = JsonSerializer.Deserialize(buffer.AsSpan(0, n), ContainerJsonContext.Default.ExecMessage);
                if (message?.Type == "console" && fd >= 0)
                {
                    master = new SafeFdHandle(fd);
                    continue;
                }
                if (fd >= 0) new SafeFdHandle(fd).Dispose();
                master?.Dispose();
                waitpid(pid, out _, 0);
                var code = message?.Code ?? 126;
                if (code is 126 or 127) throw new ContainerExecException(code, message?.Message ?? "exec failed");
                throw new BerthException(ErrorKind.Internal, message?.Message ?? "exec failed");
            }
            if (request.Detach)
            {
                master?.Dispose();
                return 0;
            }

            using (master)
            {
                using var terminal = master is not null ? new TerminalSession(master) : null;
                var registrations = new List<PosixSignalRegistration>();
                if (master is null)
                {
                    foreach (var (s, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
                        registrations.Add(PosixSignalRegistration.Create(s, ctx => { ctx.Cancel = true; ProcessSignals.Send(pid, number); }));
                }
                try
                {
                    var status = WaitChild(pid, ct);
                    terminal?.Drain(TimeSpan.FromSeconds(2));
                    return status;
                }
                finally
                {
                    foreach (var r in registrations) r.Dispose();
                }
            }
        }
    }

    private static SafeFdHandle OpenNamespace(int pid, string name)
    {
        var path = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/{name}";
        var fd = open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw BerthException.Conflict($"cannot open {path}: the container is not running");
        return new SafeFdHandle(fd);
    }

    /// <summary>Waits for a child we spawned; docker's code: its exit status, or 128+n when killed by signal n.</summary>
    private static int WaitChild(int pid, CancellationToken ct)
    {
        _ = ct; // Ctrl-C is forwarded to the command, which decides; we wait for it either way.
        int status;
        while (waitpid(pid, out status, 0) < 0)
        {
            if (LastErrno != EINTR) return 137;
        }
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
