using System.IO.Pipes;
using System.Runtime.InteropServices;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Process;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Storage.Metadata;
using Microsoft.Win32.SafeHandles;

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
    /// capabilities unless <c>-u</c>/<c>--privileged</c> say otherwise. Its stdio is relayed to and from
    /// <paramref name="streams"/> (the input only with <see cref="ExecRequest.Interactive"/>); the session ends with
    /// the command's exit code, at once with 0 for <see cref="ExecRequest.Detach"/>, or on a detach from its
    /// terminal.</summary>
    public Task<StdioSession> ExecAsync(ContainerRow row, ExecRequest request, AttachStreams streams, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        if (IsPaused(row)) throw BerthException.Conflict($"Container {row.Name} is paused, unpause the container before exec");
        if (request.Command.Count == 0) throw BerthException.Invalid("no command specified");
        var spec = SpecOf(DirOf(row.Id));
        var container = spec.Process ?? throw BerthException.DataLoss($"container {row.Id}: config.json has no process");

        var user = request.User is { Length: > 0 } u
            ? UserDatabase.Load($"/proc/{row.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/root").Resolve(u)
            : container.User;
        var env = new List<string>(container.Env ?? []);
        foreach (var e in request.Env)
        {
            // KEY=VALUE sets; a bare KEY (the front end found no value for it) unsets.
            var key = e.Contains('=') ? e[..e.IndexOf('=')] : e;
            env.RemoveAll(x => x.StartsWith(key + "=", StringComparison.Ordinal));
            if (e.Contains('=')) env.Add(e);
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
        AnonymousPipeServerStream? stdout = null, stderr = null, stdin = null;
        ContainerStdio stdio;
        if (request.Detach || request.Tty)
        {
            stdio = new ContainerStdio { Stdin = devNull, Stdout = devNull, Stderr = devNull };
        }
        else
        {
            // Pipes, never the caller's descriptors (see StartAttachedAsync); one for both outputs when the caller
            // takes them on one stream, so they keep their order.
            stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
            if (streams.Stderr is not null) stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
            if (request.Interactive && streams.Stdin is not null) stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
            stdio = new ContainerStdio
            {
                Stdin = stdin?.ClientSafePipeHandle ?? (SafeHandle)devNull,
                Stdout = stdout.ClientSafePipeHandle,
                Stderr = (stderr ?? stdout).ClientSafePipeHandle,
            };
        }
        // dockerd's events: the command as its exec config joins it (entrypoint, a space, the arguments).
        var shown = $"{request.Command[0]} {string.Join(' ', request.Command.Skip(1))}";
        Record(row, "exec_create: " + shown);
        Record(row, "exec_start: " + shown);
        ExecProcess exec;
        try
        {
            exec = Runtime.Exec(row.Id, process, new ExecOptions { Stdio = stdio });
        }
        catch
        {
            stdout?.Dispose();
            stderr?.Dispose();
            stdin?.Dispose();
            throw;
        }
        stdout?.DisposeLocalCopyOfClientHandle();
        stderr?.DisposeLocalCopyOfClientHandle();
        stdin?.DisposeLocalCopyOfClientHandle();
        if (request.Detach)
        {
            exec.Dispose();
            return Task.FromResult(new StdioSession(Task.FromResult(new SessionEnd(0, Detached: false)), _ => { }, _ => { }, tty: false));
        }

        var pumps = new List<Thread>();
        var detached = new TaskCompletionSource<SessionEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (stdout is not null) pumps.Add(StartPump(stdout, "stdout", null, streams.Stdout ?? Stream.Null));
        if (stderr is not null) pumps.Add(StartPump(stderr, "stderr", null, streams.Stderr ?? Stream.Null));
        if (stdin is not null) StartInput(streams.Stdin!, stdin, detachKeys: null, onDetach: null);
        FileStream? console = null;
        if (exec.Console is { } pty)
        {
            if (streams.Size is { IsKnown: true } size) Terminal.TrySetSize(pty, size.Height, size.Width);
            console = new FileStream(new SafeFileHandle(pty.DangerousGetHandle(), ownsHandle: false), FileAccess.ReadWrite, 1);
            pumps.Add(StartPump(console, "stdout", null, streams.Stdout ?? Stream.Null));
            if (request.Interactive && streams.Stdin is { } input)
            {
                // Not closed at the end of input: the pty is the command's terminal, and its output still flows.
                StartInput(input, new FileStream(new SafeFileHandle(pty.DangerousGetHandle(), ownsHandle: false), FileAccess.Write, 1),
                    streams.DetachKeys, () => detached.TrySetResult(new SessionEnd(0, Detached: true)), closeTarget: false);
            }
        }
        var exited = Task.Factory.StartNew(() =>
        {
            var status = exec.Wait();
            foreach (var p in pumps) p.Join(TimeSpan.FromSeconds(console is null ? 5 : 2));
            stdout?.Dispose();
            stderr?.Dispose();
            exec.Dispose();
            Record(row, "exec_die", ("exitCode", status.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return new SessionEnd(status.ExitCode, Detached: false);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var end = Task.WhenAny(exited, detached.Task).Unwrap();
        return Task.FromResult(new StdioSession(end,
            size => { if (exec.Console is { } pty) Terminal.TrySetSize(pty, size.Height, size.Width); },
            signal => exec.Signal(signal),
            request.Tty));
    }
}
