using System.Runtime.InteropServices;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Process;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Storage.Metadata;

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
    /// <summary><c>exec</c>: runs a command in a running container through the runtime
    /// (<see cref="ContainerRuntime.Exec"/>): its namespaces, cgroup and seccomp filter, and the container's user and
    /// capabilities unless <c>-u</c>/<c>--privileged</c> say otherwise. Returns the command's exit code (0 at once
    /// with <c>-d</c>).</summary>
    public int Exec(ContainerRow row, ExecRequest request, CancellationToken ct)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        if (IsPaused(row)) throw BerthException.Conflict($"Container {row.Name} is paused, unpause the container before exec");
        if (request.Command.Count == 0) throw BerthException.Invalid("no command specified");
        var spec = ContainerRuntime.LoadSpec(DirOf(row.Id));
        var container = spec.Process ?? throw BerthException.DataLoss($"container {row.Id}: config.json has no process");

        var user = request.User is { Length: > 0 } u
            ? UserDatabase.Load($"/proc/{row.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/root").Resolve(u)
            : container.User;
        var env = new List<string>(container.Env ?? []);
        foreach (var e in request.Env)
        {
            var key = e.Contains('=') ? e[..e.IndexOf('=')] : e;
            var value = e.Contains('=') ? e : Environment.GetEnvironmentVariable(e) is { } v ? $"{e}={v}" : null;
            env.RemoveAll(x => x.StartsWith(key + "=", StringComparison.Ordinal));
            if (value is not null) env.Add(value);
        }
        if (request.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");
        LinuxCapabilities? caps = container.Capabilities;
        if (request.Privileged)
        {
            // Every capability berth itself may hold (docker exec --privileged).
            var all = SpecHost.Detect().BoundingCapabilities ?? Capabilities.All;
            caps = new LinuxCapabilities { Bounding = all, Effective = all, Permitted = all };
        }
        var process = new ProcessSpec
        {
            Terminal = request.Tty,
            User = user,
            Args = request.Command,
            Env = env,
            Cwd = request.WorkingDir is { Length: > 0 } w ? w : container.Cwd,
            Capabilities = caps,
            Rlimits = container.Rlimits,
            NoNewPrivileges = container.NoNewPrivileges,
        };

        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var quiet = request.Detach || request.Tty;
        var stdio = new ContainerStdio
        {
            Stdin = quiet || !request.Interactive ? devNull : null,
            Stdout = quiet ? devNull : null,
            Stderr = quiet ? devNull : null,
        };
        using var exec = Runtime.Exec(row.Id, process, new ExecOptions { Stdio = stdio });
        if (request.Detach) return 0;

        using var terminal = exec.Console is { } master ? new TerminalSession(master) : null;
        var registrations = new List<PosixSignalRegistration>();
        if (terminal is null)
        {
            // Without a pty the signals a terminal would send reach us: pass them on; the command decides.
            foreach (var (s, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
                registrations.Add(PosixSignalRegistration.Create(s, ctx => { ctx.Cancel = true; exec.Signal(number); }));
        }
        try
        {
            _ = ct; // Ctrl-C is forwarded to the command, which decides; we wait for it either way.
            var status = exec.Wait();
            terminal?.Drain(TimeSpan.FromSeconds(2));
            return status.ExitCode;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }
}
