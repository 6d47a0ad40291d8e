using Berth.Oci.Errors;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>Docker's default grace period for <c>stop</c>.</summary>
    public const int DefaultStopTimeout = 10;

    /// <summary><c>stop</c>: the stop signal (<paramref name="signal"/> from <c>stop -s</c>, else STOPSIGNAL or
    /// <c>--stop-signal</c>, else SIGTERM), then SIGKILL to the whole container after <paramref name="timeout"/>
    /// seconds (the container's <c>--stop-timeout</c>, else 10; -1 waits forever). Stopping a container that is not
    /// running does nothing, as docker.</summary>
    public ContainerRow Stop(ContainerRow row, int? timeout, CancellationToken ct, int? signal = null)
    {
        // First: a container between two runs of its restart policy must not start again either. Marked holding the
        // container's lock, so a start in progress is over (and is stopped below) and none begins unmarked.
        using (var held = Store.LockContainer(row.Id, ct))
        {
            row = CurrentOrGone(row.Id, held);
            MarkStoppedByUser(row.Id);
        }
        row = Reconcile(row);
        if (row.Status != "running") return row;
        var config = ConfigOf(row);
        signal ??= StopSignalOf(config);
        var seconds = timeout ?? config.Request.StopTimeout ?? DefaultStopTimeout;
        // Each signal is a "kill" event, as dockerd logs them (stop signal, then SIGKILL after the timeout), recorded
        // before it is sent: the die its signal causes comes after it.
        RecordKill(row, signal.Value);
        try
        {
            Runtime.Kill(row.Id, signal.Value);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.Conflict)
        {
        }
        if (!WaitDead(row, seconds < 0 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds), ct))
        {
            RecordKill(row, 9);
            KillAll(row.Id);
            WaitDead(row, TimeSpan.FromSeconds(30), ct);
        }
        var stopped = AwaitRecorded(row, ct);
        Record(row, "stop");
        return stopped;
    }

    internal static int StopSignalOf(StoredContainerConfig config) =>
        config.StopSignal is { Length: > 0 } s ? Signals.Parse(s) : 15;

    /// <summary>Waits until the container's init is gone (its pidfd, no polling); false on timeout.</summary>
    private static bool WaitDead(ContainerRow row, TimeSpan timeout, CancellationToken ct) =>
        Berth.Runtime.Process.ProcessExit.Wait(row.Pid, row.PidStart, timeout, ct);

    /// <summary>After the init died: the row as its parent recorded it (or as reconciled if the parent is gone).
    /// Wakes on each recorded event (the exit is recorded with its "die"), not on a timer.</summary>
    private ContainerRow AwaitRecorded(ContainerRow row, CancellationToken ct)
    {
        var deadline = Environment.TickCount64 + 10_000;
        using var tick = Events.Watch();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var now = Store.Metadata.GetContainer(row.Id);
            if (now is null || now.Status != "running" || now.PidStart != row.PidStart) return now ?? row with { Status = "exited" };
            now = Reconcile(now);
            if (now.Status != "running") return now;
            var left = deadline - Environment.TickCount64;
            if (left <= 0) return now;
            tick.WaitAsync(TimeSpan.FromMilliseconds(left), ct).GetAwaiter().GetResult();
        }
    }

    /// <summary><c>kill</c>: sends a signal (default SIGKILL) to the container's init.</summary>
    public void Kill(ContainerRow row, int signal)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"Cannot kill container: {row.Name}: Container {row.Id} is not running");
        MarkStoppedByUser(row.Id);
        // Before the signal, so that the die it causes comes after it (a container that exited since the look above
        // has this one event more than dockerd would log).
        RecordKill(row, signal);
        try
        {
            Runtime.Kill(row.Id, signal);
        }
        catch (BerthException e) when (e.Kind is ErrorKind.Conflict or ErrorKind.NotFound)
        {
            throw BerthException.Conflict($"Cannot kill container: {row.Name}: Container {row.Id} is not running");
        }
    }

    private void RecordKill(ContainerRow row, int signal) =>
        Record(row, "kill", ("signal", signal.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A container stopped, killed or removed by a user is not restarted by its restart policy until it is
    /// started again (docker's HasBeenManuallyStopped): a file beside its bundle says so.</summary>
    private string StoppedByUserMarker(string id) => Path.Combine(DirOf(id), "stopped-by-user");

    private void MarkStoppedByUser(string id)
    {
        try
        {
            File.WriteAllText(StoppedByUserMarker(id), "");
        }
        catch (IOException)
        {
        }
    }

    /// <summary>After a container exited and its exit was recorded: starts it again under a new monitor when its
    /// restart policy says so, after docker's back-off, unless it was stopped, removed or started meanwhile.</summary>
    internal void RestartIfDue(string id)
    {
        var row = Store.Metadata.GetContainer(id);
        if (row is null || row.Status != "exited") return;
        var policy = ConfigOf(row).Request.Restart ?? RestartPolicy.No;
        if (!policy.ShouldRestart(row.ExitCode, row.RestartCount, File.Exists(StoppedByUserMarker(id)))) return;
        var ran = row.FinishedAt is { } f && row.StartedAt is { } s ? f - s : TimeSpan.Zero;
        Thread.Sleep(RestartPolicy.Delay(row.RestartCount, ran));
        row = Store.Metadata.GetContainer(id);
        if (row is null || row.Status != "exited" || File.Exists(StoppedByUserMarker(id))) return;
        row = row with { RestartCount = row.RestartCount + 1 };
        Store.Metadata.UpdateContainer(row);
        try
        {
            StartDetached(row, byPolicy: true, held: null, attachFirst: false, CancellationToken.None);
        }
        catch (BerthException)
        {
            // Recorded on the row by the start that failed; docker gives up the same way.
        }
    }

    /// <summary><c>restart</c>: stop (if running), then start detached. RestartCount counts only the restarts of a
    /// restart policy, as docker's; a manual restart leaves it.</summary>
    public ContainerRow Restart(ContainerRow row, int? timeout, CancellationToken ct, int? signal = null)
    {
        row = Stop(row, timeout, ct, signal);
        var fresh = Store.Metadata.GetContainer(row.Id) ?? throw BerthException.NotFound($"No such container: {row.Id}");
        StartDetached(fresh, ct);
        Record(fresh, "restart");
        return fresh;
    }

    /// <summary><c>wait</c>: blocks until the container is not running and returns its exit code.</summary>
    public int Wait(ContainerRow row, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            row = Reconcile(row);
            if (row.Status != "running") return row.ExitCode;
            WaitDead(row, TimeSpan.FromSeconds(1), ct);
            row = AwaitRecorded(row, ct);
            if (row.Status != "running") return row.ExitCode;
        }
    }

    /// <summary><c>rm</c>: a running container needs <paramref name="force"/> (then it is killed first). Holds the
    /// container's lock throughout: a start in progress finishes first (and the container is then removed running),
    /// and none can begin until the container is gone. NotFound when another rm came first.</summary>
    public void Remove(ContainerRow row, bool force, bool removeVolumes, CancellationToken ct)
    {
        using var held = Store.LockContainer(row.Id, ct);
        row = Reconcile(CurrentOrGone(row.Id, held));
        if (row.Status == "running")
        {
            if (!force)
                throw BerthException.Conflict($"You cannot remove a running container {row.Id}. Stop the container before attempting removal or force remove");
            MarkStoppedByUser(row.Id);
            // dockerd's event for the SIGKILL of rm -f, recorded before it so that the die comes after it.
            RecordKill(row, 9);
            KillAll(row.Id);
            if (!WaitDead(row, TimeSpan.FromSeconds(30), ct))
                throw new BerthException(ErrorKind.Unavailable, $"cannot remove container \"/{row.Name}\": could not kill it");
            // Recorded here rather than awaited from its parent (the monitor), which records it too and then waits for
            // this lock to clean up: it finds the container gone.
            RecordExit(row, row.PidStart, 128 + 9, oomKilled: false);
        }
        RemoveStopped(row.Id, removeVolumes, row, held);
    }

    /// <summary>Removes a container that is not running: runtime state, bundle, row, its lock's file and (with
    /// <paramref name="removeVolumes"/>) its anonymous volumes, holding its lock (<paramref name="held"/>, else taken
    /// here). A container removed meanwhile is left alone; one started meanwhile is a Conflict.
    /// <paramref name="known"/>: the row, when the caller has it (its stored config is then not parsed again).</summary>
    internal void RemoveStopped(string id, bool removeVolumes, ContainerRow? known = null, FileLock? held = null)
    {
        using var own = held is null ? Store.LockContainer(id, CancellationToken.None) : null;
        var locked = held ?? own!;
        var row = Store.Metadata.GetContainer(id);
        if (row is null)
        {
            locked.DeleteFile();
            return;
        }
        row = WithKnownConfig(row, known);
        if (Reconcile(row).Status == "running")
            throw BerthException.Conflict($"You cannot remove a running container {row.Id}. Stop the container before attempting removal or force remove");
        CleanupRuntime(id);
        var dir = DirOf(id);
        if (Directory.Exists(dir))
        {
            // Renamed first, so a crash halfway never leaves a half-deleted bundle under a live ID.
            var doomed = Path.Combine(ContainersDir, ".del-" + id);
            try
            {
                Directory.Move(dir, doomed);
                dir = doomed;
            }
            catch (IOException)
            {
            }
        }
        Store.Metadata.DeleteContainer(id);
        // Its anonymous volumes go before its destroy event, as dockerd logs their destroy first.
        if (removeVolumes)
            foreach (var m in ConfigOf(known ?? row).Mounts.Where(m => m.Type == "volume" && m.Anonymous))
                Volumes.RemoveQuiet(m.Name!);
        Record(row, "destroy");
        DeleteDirectory(dir);
        AttachServer.Remove(AttachSocketOf(id));
        locked.DeleteFile();
    }

    /// <summary>The bytes of a container's writable layer and of its image (docker's SizeRw and, added, SizeRootFs).</summary>
    public (long Writable, long Image) SizeOf(ContainerRow row)
    {
        var image = Images.TryResolve(row.ImageId, out var record) ? Images.SizeOf(record!) : 0;
        return (WritableBytes(row.Id), image);
    }

    private long WritableBytes(string id) => DirectorySize.Of(Path.Combine(DirOf(id), "upper"));

    /// <summary><c>container prune</c>: removes every stopped container; returns their IDs and the bytes their
    /// writable layers held.</summary>
    public (IReadOnlyList<string> Removed, long Reclaimed) Prune(CancellationToken ct)
    {
        var removed = new List<string>();
        var bytes = 0L;
        foreach (var row in List())
        {
            ct.ThrowIfCancellationRequested();
            if (row.Status == "running") continue;
            var size = WritableBytes(row.Id);
            try
            {
                RemoveStopped(row.Id, removeVolumes: false);
            }
            catch (BerthException e) when (e.Kind == ErrorKind.Conflict)
            {
                // Started since it was listed.
                continue;
            }
            bytes += size;
            removed.Add(row.Id);
        }
        // dockerd's event for the prune itself, after each container's destroy.
        Events.Record("container", "prune", "", [new("reclaimed", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return (removed, bytes);
    }
}
