using System.IO.Pipes;
using System.Runtime.InteropServices;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Process;
using Berth.Runtime.Spec;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;
using Microsoft.Win32.SafeHandles;
using Berth.Interop;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    private static readonly Lazy<ulong> s_selfStart = new(() => Berth.Runtime.Process.ProcessInfo.StartTime(Environment.ProcessId) ?? 0);

    /// <summary>Creates the container's init (as this process's child) and starts its command; the row becomes
    /// "running" with this process as the one that records the exit. A command that cannot be run is recorded on
    /// the row (docker keeps such a container as "created" with the error) and rethrown. A user's start ends a user's
    /// stop (the restart policy applies again); a restart policy's start (<paramref name="byPolicy"/>) gives way to one.
    /// Runs holding the container's lock: <paramref name="held"/> when the caller holds it (and read the row under
    /// it), else taken here, and the row read again under it (an rm may have come first).</summary>
    internal (Container Container, ContainerRow Row) Launch(ContainerRow row, ContainerStdio? stdio, bool byPolicy = false, FileLock? held = null)
    {
        using var own = held is null ? Store.LockContainer(row.Id, CancellationToken.None) : null;
        if (own is not null)
        {
            // An unchanged config keeps the caller's string, whose parse ConfigOf has (run's create made it).
            row = WithKnownConfig(Reconcile(CurrentOrGone(row.Id, own)), row);
        }
        if (row.Status == "running") throw BerthException.Conflict($"container {row.Id} is already running");
        var stoppedByUser = StoppedByUserMarker(row.Id);
        if (!byPolicy) File.Delete(stoppedByUser);
        else if (File.Exists(stoppedByUser)) throw BerthException.Conflict($"container {row.Id} was stopped by a user; its restart policy gives way");
        // Leftovers of a previous run whose parent died before cleaning up.
        if (row.Status == "exited" || row.StartedAt is not null) CleanupRuntime(row.Id);
        Container container;
        var createOptions = new CreateOptions { Stdio = stdio };
        RuntimeSpec? spec;
        try
        {
            // The spec this process has just written to config.json is used as is rather than read back.
            spec = TakeFreshSpec(row.Id);
            if (Berth.Engine.Networks.NetworkService.ContainerOf(ConfigOf(row).Request.Network) is { } joined)
                spec = JoinNetworkOf(row, joined, spec ?? SpecOf(DirOf(row.Id)));
        }
        catch (BerthException e)
        {
            RecordFailure(row, e);
            throw;
        }
        try
        {
            container = spec is not null
                ? Runtime.Create(row.Id, DirOf(row.Id), spec, createOptions)
                : Runtime.Create(row.Id, DirOf(row.Id), createOptions);
        }
        catch (BerthException e)
        {
            RecordAbortedRun(row);
            RecordFailure(row, e);
            throw;
        }
        var pidStart = Berth.Runtime.Process.ProcessInfo.StartTime(container.Pid) ?? 0;
        try
        {
            ConnectNetworks(row, container.Pid);
            container.Start();
        }
        catch (BerthException e)
        {
            container.Dispose();
            CleanupRuntime(row.Id);
            RecordAbortedRun(row);
            RecordFailure(row, e);
            throw;
        }
        var running = row with
        {
            Status = "running", Pid = container.Pid, PidStart = pidStart, MonitorPid = Environment.ProcessId, MonitorStart = s_selfStart.Value,
            StartedAt = Time.GetUtcNow(), FinishedAt = null, ExitCode = 0, OomKilled = false, Error = null,
            RestartCount = row.StartedAt is null ? 0 : row.RestartCount,
        };
        Berth.Oci.Diagnostics.Timeline.Mark("engine: started");
        // The row and its events in one transaction (the networks connected and the volumes mounted, then the
        // start): whoever sees it running finds them, and its die, which needs the running row, comes after them.
        var events = RunEvents(running, start: true);
        events.Add(Events.Make("container", "start", running.Id, EventAttributes(running, [])));
        Store.Metadata.Write(_ =>
        {
            Store.Metadata.UpdateContainer(running);
            Append(events);
            return 0;
        });
        Events.Notify();
        StartHealthProber(running);
        return (container, running);
    }

    /// <summary><c>--network container:X</c>: the spec for this start joins the network namespace of X's running init
    /// instead of making one, and takes X's hostname, /etc/hosts and /etc/resolv.conf (bind mounts of X's files, as
    /// docker shares them). X is looked up now, as docker does at start: it must exist, be another container, and
    /// run.</summary>
    private RuntimeSpec JoinNetworkOf(ContainerRow row, string joined, RuntimeSpec spec)
    {
        var target = Resolve(joined);
        if (target.Id == row.Id) throw BerthException.Invalid("cannot join own network");
        if (target.Status != "running") throw BerthException.Conflict($"cannot join network of a non running container: {target.Id}");
        var own = DirOf(row.Id);
        var theirs = DirOf(target.Id);
        // While this container runs, X's namespace outlives X's processes: X's end then deletes its veths.
        Directory.CreateDirectory(JoinersDirOf(target.Id));
        File.WriteAllBytes(Path.Combine(JoinersDirOf(target.Id), row.Id), []);
        string[] shared = ["hostname", "hosts", "resolv.conf"];
        var mounts = (spec.Mounts ?? []).Select(m =>
            m.Source is { } source && shared.Any(f => source == Path.Combine(own, f)) ? m with { Source = Path.Combine(theirs, Path.GetFileName(source)) } : m).ToList();
        var namespaces = (spec.Linux?.Namespaces ?? []).Where(n => n.Type != "network")
            .Append(new LinuxNamespace { Type = "network", Path = $"/proc/{target.Pid}/ns/net" }).ToList();
        return spec with
        {
            Mounts = mounts,
            Hostname = spec.Hostname is null ? null : ConfigOf(target).Hostname,
            Linux = (spec.Linux ?? new LinuxSpec()) with { Namespaces = namespaces },
        };
    }

    private void RecordFailure(ContainerRow row, BerthException e)
    {
        var code = e is ContainerExecException x ? x.ExitCode : 128;
        try
        {
            Store.Metadata.UpdateContainer(row with { ExitCode = code, Error = e.Message });
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
        }
    }

    /// <summary>After the init exited: records the status, removes the runtime state (cgroup) and, for
    /// <c>--rm</c>, the container.</summary>
    internal void Finish(ContainerRow running, ExitStatus status, bool autoRemove)
    {
        // Recorded before taking the lock: an rm holding it may be waiting for the exit to be recorded.
        // One "die" per run: an rm -f may have recorded this exit first (and said so).
        RecordExit(running, running.PidStart, status.ExitCode, status.OomKilled);
        using var held = Store.LockContainer(running.Id, CancellationToken.None);
        CleanupAfterExit(running, held);
        Berth.Oci.Diagnostics.Timeline.Mark("engine: runtime state removed");
        if (autoRemove) RemoveStopped(running.Id, removeVolumes: true, running, held);
    }

    /// <summary>The container's row as it is now, read holding its lock; NotFound (docker's "No such container")
    /// when it was removed meanwhile, and then the lock's file, which taking the lock made again, goes too.</summary>
    private ContainerRow CurrentOrGone(string id, FileLock held)
    {
        if (Store.Metadata.GetContainer(id) is { } row) return row;
        held.DeleteFile();
        throw BerthException.NotFound($"No such container: {id}");
    }

    /// <summary><c>run</c> without <c>-d</c>, <c>start -a</c>: starts the container and relays its stdio to and from
    /// <paramref name="streams"/> until it exits; the session's end has its exit code. Without <c>--rm</c> the output
    /// is copied to the container's log too. With a terminal and input the client can detach: such a container
    /// gets a monitor as with <c>run -d</c> (it must outlive this process) and the session attaches to it before
    /// its first output. Otherwise this process is the container's parent and relays through pipes, or its
    /// pty.</summary>
    public async Task<StdioSession> StartAttachedAsync(ContainerRow row, AttachStreams streams, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        var request = ConfigOf(row).Request;
        RecordAttach(row);
        if (request.Tty && streams.Stdin is not null)
        {
            StartDetached(row, byPolicy: false, held: null, attachFirst: true, ct);
            return await AttachAsync(Store.Metadata.GetContainer(row.Id) ?? row, streams, ct).ConfigureAwait(false);
        }
        return StartAttachedHere(row, request, streams);
    }

    private StdioSession StartAttachedHere(ContainerRow row, ContainerRequest request, AttachStreams streams)
    {
        var autoRemove = request.AutoRemove;
        // --rm removes the log with the container: nothing to write. The none driver writes none either.
        var logOptions = autoRemove ? null : request.LogConfig.Validate();
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);

        AnonymousPipeServerStream? stdout = null, stderr = null, stdin = null;
        ContainerStdio stdio;
        if (request.Tty)
        {
            stdio = new ContainerStdio { Stdin = devNull, Stdout = devNull, Stderr = devNull };
        }
        else
        {
            // The container gets pipes, never the caller's descriptors: holding `run … >> file`'s file, it could read
            // it or truncate it through /proc/self/fd/1. docker relays through pipes too.
            stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
            // One pipe for both when the caller takes both on one stream and nothing is logged apart: the writes
            // arrive in the order the container made them, as when it held the caller's file.
            if (logOptions is not null || streams.Stderr is not null)
                stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
            if (streams.Stdin is not null) stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
            stdio = new ContainerStdio
            {
                Stdin = stdin?.ClientSafePipeHandle ?? (SafeHandle)devNull,
                Stdout = stdout.ClientSafePipeHandle,
                Stderr = (stderr ?? stdout).ClientSafePipeHandle,
            };
        }

        Container container;
        ContainerRow running;
        try
        {
            (container, running) = Launch(row, stdio);
        }
        catch
        {
            stdout?.Dispose();
            stderr?.Dispose();
            stdin?.Dispose();
            if (autoRemove) RemoveStopped(row.Id, removeVolumes: true);
            throw;
        }
        stdout?.DisposeLocalCopyOfClientHandle();
        stderr?.DisposeLocalCopyOfClientHandle();
        stdin?.DisposeLocalCopyOfClientHandle();

        var pumps = new List<Thread>();
        var log = logOptions is null ? null : new JsonLogWriter(LogPathOf(row.Id), logOptions, Time);
        if (stdout is not null) pumps.Add(StartPump(stdout, "stdout", log, streams.Stdout ?? Stream.Null));
        if (stderr is not null) pumps.Add(StartPump(stderr, "stderr", log, streams.Stderr ?? streams.Stdout ?? Stream.Null));
        // Not joined: it may block on the caller's input long after the container ended.
        if (stdin is not null) StartInput(streams.Stdin!, stdin, detachKeys: null, onDetach: null);
        FileStream? console = null;
        if (container.Console is { } pty)
        {
            if (streams.Size is { IsKnown: true } size) Terminal.TrySetSize(pty, size.Height, size.Width);
            // What the terminal shows is logged too (as stdout, as docker does). The pump closes the stream (and its
            // descriptor, a duplicate) when the output ends.
            console = new FileStream(new SafeFileHandle(pty.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
            pumps.Add(StartPump(console, "stdout", log, streams.Stdout ?? Stream.Null));
        }
        var end = Task.Factory.StartNew(() =>
        {
            using (container)
            {
                // This thread has nothing else to do: it reaps the init itself (no reaper thread to start).
                var status = container.Wait();
                Berth.Oci.Diagnostics.Timeline.Mark("engine: init exited");
                foreach (var p in pumps) p.Join(TimeSpan.FromSeconds(console is null ? 5 : 2));
                log?.Dispose();
                stdout?.Dispose();
                stderr?.Dispose();
                Finish(running, status, autoRemove);
                Berth.Oci.Diagnostics.Timeline.Mark("engine: done");
                if (!autoRemove) RestartIfDue(running.Id);
                return new SessionEnd(status.ExitCode, Detached: false);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new StdioSession(end,
            size => { if (container.Console is { } pty) Terminal.TrySetSize(pty, size.Height, size.Width); },
            signal =>
            {
                if (signal == 9) KillAll(running.Id);
                else ProcessSignals.Send(running.Pid, signal);
            },
            request.Tty);
    }

    /// <summary>Relays one output stream of the container to the caller's (and its log). Without a log, a pump whose
    /// reader went away (<c>run … | head -1</c>) closes the pipe, so the container's next write fails as it would
    /// have on the caller's closed pipe.</summary>
    private static Thread StartPump(Stream source, string stream, JsonLogWriter? log, Stream ours)
    {
        var t = new Thread(() =>
        {
            try
            {
                JsonLogWriter.Pump(source, stream, log, ours);
            }
            finally
            {
                if (log is null) source.Dispose();
            }
        }) { IsBackground = true, Name = "berth-relay" };
        t.Start();
        return t;
    }

    /// <summary>The caller's input to the container's stdin (a pipe, a pty master, an attach socket's stream), on a
    /// thread of its own; at the caller's end of input the target closes, the container's end of input. With
    /// <paramref name="detachKeys"/> the keys are filtered out, and typing them stops the copy and calls
    /// <paramref name="onDetach"/>.</summary>
    private static void StartInput(Stream source, Stream target, DetachKeys? detachKeys, Action? onDetach, bool closeTarget = true, Action? onEnd = null)
    {
        new Thread(() =>
        {
            var matcher = detachKeys?.NewMatcher();
            var filtered = new List<byte>();
            try
            {
                var buffer = new byte[16 * 1024];
                int n;
                while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (matcher is null)
                    {
                        target.Write(buffer, 0, n);
                    }
                    else
                    {
                        filtered.Clear();
                        var detached = matcher.Feed(buffer.AsSpan(0, n), filtered);
                        if (filtered.Count > 0) target.Write(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(filtered));
                        if (detached)
                        {
                            onDetach?.Invoke();
                            return;
                        }
                    }
                    target.Flush();
                }
                onEnd?.Invoke();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                // The container closed its stdin (or exited): nothing more to give it.
            }
            finally
            {
                if (closeTarget) target.Dispose();
            }
        }) { IsBackground = true, Name = "berth-stdin" }.Start();
    }

    /// <summary>SIGKILL to every process of the container (its cgroup), ignoring a container already gone.</summary>
    internal void KillAll(string id)
    {
        try
        {
            Runtime.Kill(id, 9, all: true);
        }
        catch (BerthException)
        {
        }
    }

    /// <summary>The monitor idles for as long as its container runs: a 64 KiB gen0 budget (hex, the .NET GC's
    /// notation) instead of one sized from the CPU cache, so what the heap keeps committed between collections is
    /// small (the monitor's resident memory drops by about 1 MB; a container logging hard costs it more, smaller
    /// collections).</summary>
    private static readonly string[] MonitorEnvironment = ["DOTNET_GCgen0size=10000"];

    /// <summary><c>start</c>, <c>run -d</c>, <c>restart</c>: starts the container under a monitor process (berth
    /// re-executed as <c>berth monitor</c>) that holds its stdio, writes its log and records its exit, so this
    /// process can return. Throws what the start failed with (<see cref="ContainerExecException"/> for 126/127).</summary>
    public void StartDetached(ContainerRow row, CancellationToken ct) => StartDetached(row, byPolicy: false, held: null, attachFirst: false, ct);

    /// <summary><see cref="StartDetached(ContainerRow, CancellationToken)"/> for clients that attached before the start
    /// (the Engine API's attach, then start, as <c>docker run</c> does): the monitor holds the container's output
    /// until the first of them connects (<see cref="AttachAsync"/>), so none of it is lost.</summary>
    public void StartDetachedForAttach(ContainerRow row, CancellationToken ct) => StartDetached(row, byPolicy: false, held: null, attachFirst: true, ct);

    /// <summary><see cref="StartDetached(ContainerRow, CancellationToken)"/> of a container whose lock the caller
    /// holds since it created it (<see cref="CreateLocked"/>): <c>run -d</c>.</summary>
    public void StartDetached(ContainerRow row, FileLock held, CancellationToken ct) => StartDetached(row, byPolicy: false, held, attachFirst: false, ct);

    /// <summary><see cref="StartDetached(ContainerRow, CancellationToken)"/>, by a user or by the restart policy (see
    /// <see cref="Launch"/>). The container's lock is held until the monitor reports (taken here unless the caller
    /// holds it), and the monitor shares it as its stdin until then: whoever removes the container waits for the
    /// start, even if this process dies meanwhile.</summary>
    internal void StartDetached(ContainerRow row, bool byPolicy, FileLock? held, bool attachFirst, CancellationToken ct)
    {
        using var own = held is null ? Store.LockContainer(row.Id, ct) : null;
        var locked = held ?? own!;
        if (own is not null)
        {
            // An unchanged config keeps the caller's string, whose parse ConfigOf has (run's create made it).
            row = WithKnownConfig(Reconcile(CurrentOrGone(row.Id, own)), row);
        }
        if (row.Status == "running") return;
        var berth = Options.Executable ?? Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");
        // Spawned with nothing of ours but the report pipe: a descriptor the monitor inherited (e.g. the pipe a
        // caller reads our stderr from) would stay open as long as the container runs; the .NET host of a JIT
        // build even duplicates its stdio at startup. Errors come back through the report line.
        using var reportPipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        int pid;
        try
        {
            pid = Berth.Runtime.Process.ProcessLauncher.Spawn(berth,
                byPolicy ? ["berth", ContainerMonitor.Role, Store.Root, row.Id, ContainerMonitor.PolicyRestart]
                : attachFirst ? ["berth", ContainerMonitor.Role, Store.Root, row.Id, ContainerMonitor.AttachFirst]
                : ["berth", ContainerMonitor.Role, Store.Root, row.Id],
                new ContainerStdio { Stdin = locked.Handle, Stdout = reportPipe.ClientSafePipeHandle, Stderr = devNull },
                [.. MonitorEnvironment, .. Options.ToEnvironment()]);
        }
        catch (SyscallException e)
        {
            throw new BerthException(e.Kind, $"cannot start the container monitor: {e.Message}", e);
        }
        reportPipe.DisposeLocalCopyOfClientHandle();
        string? report;
        using (var reader = new StreamReader(reportPipe)) report = reader.ReadLine();
        if (report == ContainerMonitor.Ok && Options.ReapMonitors)
        {
            // The monitor lives as long as the container and stays our child: without a wait it would linger as a
            // zombie after the exit it records.
            _ = Task.Factory.StartNew(() => Berth.Runtime.Process.ProcessLauncher.Wait(pid), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        ct.ThrowIfCancellationRequested();
        if (report == ContainerMonitor.Ok) return;
        if (report is null)
        {
            var status = Berth.Runtime.Process.ProcessLauncher.Wait(pid) ?? 0;
            throw new BerthException(ErrorKind.Internal, $"container {row.Id}: the monitor exited (status {status}) before starting it");
        }
        var parts = report.Split('\t', 3);
        var code = parts.Length == 3 && int.TryParse(parts[1], out var c) ? c : 125;
        var message = parts.Length == 3 ? parts[2] : report;
        if (code is 126 or 127) throw new ContainerExecException(code, message);
        throw new BerthException(ErrorKind.Internal, message);
    }
}
