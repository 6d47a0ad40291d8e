using System.Text.Json;
using Berth.Engine.Images;
using Berth.Engine.Networks;
using Berth.Engine.Volumes;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage;
using Berth.Storage.Gc;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>Containers: create, start (attached, or detached under a monitor), stop, kill, remove, exec, logs, list,
/// inspect, wait, top and prune, docker's lifecycle on berth's runtime. Split by verb into partial files.
/// <para>Layout: <c>&lt;root&gt;/containers/&lt;id&gt;/</c> is the OCI bundle (config.json, an empty <c>rootfs</c>
/// mount point, the overlay's <c>upper</c> and <c>work</c>), plus <c>hostname</c>, <c>hosts</c>, <c>resolv.conf</c>
/// and <c>&lt;id&gt;-json.log</c>. The runtime keeps its own state in the state directory (<see cref="EngineOptions.StateDir"/>). The overlay is
/// mounted by the container's init inside its own mount namespace, so the host never holds a container mount.</para>
/// <para>State: a row in the metadata (created → running → exited). Whoever is the init's parent — the attached CLI
/// or the monitor — records the exit. Readers check a "running" row against the live process (PID and start time)
/// and, when both the container and its parent are gone, record the container as exited (255, as docker after a
/// daemon crash).</para></summary>
public sealed partial class ContainerService
{
    /// <summary>The exit code recorded for a container whose exit nobody saw (its parent died first).</summary>
    public const int LostExitCode = 255;

    public ContainerService(Store store, ImageService images, EngineOptions options, TimeProvider time)
    {
        Store = store;
        Images = images;
        Options = options;
        Time = time;
        Runtime = new ContainerRuntime(options.RuntimeOptions);
        Volumes = new VolumeService(store, time);
        Networks = new NetworkService(store, time);
        ContainersDir = Path.Combine(store.Root, "containers");
        Events = new Events.EventService(store, time);
        Volumes.UsedBy = name => Store.Metadata.ListContainers().Where(c => ConfigOf(c).Mounts.Any(m => m.Type == "volume" && m.Name == name)).Select(c => c.Id).ToList();
    }

    public Store Store { get; }
    public ImageService Images { get; }
    public VolumeService Volumes { get; }
    public NetworkService Networks { get; }
    public EngineOptions Options { get; }
    public Events.EventService Events { get; }
    public TimeProvider Time { get; }
    public string ContainersDir { get; }

    /// <summary>berth's own runtime, its state in this installation's state directory.</summary>
    public ContainerRuntime Runtime { get; }

    /// <summary>Records a container event with docker's attributes: image, name, the labels, and
    /// <paramref name="extra"/> (exitCode, signal …).</summary>
    internal void Record(ContainerRow row, string action, params (string Key, string Value)[] extra) =>
        Events.Record("container", action, row.Id, EventAttributes(row, extra));

    private List<KeyValuePair<string, string>> EventAttributes(ContainerRow row, (string Key, string Value)[] extra)
    {
        var attrs = new List<KeyValuePair<string, string>> { new("image", row.ImageName), new("name", row.Name) };
        try
        {
            foreach (var (k, v) in ConfigOf(row).Request.Labels) attrs.Add(new(k, v));
        }
        catch (BerthException)
        {
        }
        foreach (var (k, v) in extra) attrs.Add(new(k, v));
        return attrs;
    }

    /// <summary>Records that a run of the container ended, with its "die" (and "oom") event and then the end of the
    /// run's network and volume events (<see cref="RunEvents"/>: disconnect, unmount) in the same transaction: whoever
    /// sees the container exited finds them already there, and a later destroy comes after them. Whoever saw the exit
    /// (the attached CLI, the monitor, an rm -f, a reader that found the parent gone) records it here; false when
    /// someone else recorded this exit first (one die per run).</summary>
    internal bool RecordExit(ContainerRow row, ulong pidStart, int exitCode, bool oomKilled)
    {
        // Made in the order they are appended, so that their times do not go back.
        List<EventRecord> events = oomKilled ? [Events.Make("container", "oom", row.Id, EventAttributes(row, []))] : [];
        events.Add(Events.Make("container", "die", row.Id,
            EventAttributes(row, [("exitCode", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture))])));
        events.AddRange(RunEvents(row, start: false));
        var recorded = Store.Metadata.Write(_ =>
        {
            if (!Store.Metadata.RecordContainerExit(row.Id, pidStart, exitCode, oomKilled, Time.GetUtcNow())) return false;
            Append(events);
            return true;
        });
        if (recorded) Events.Notify();
        return recorded;
    }

    /// <summary>The container's cgroup, under this installation's parent (as the spec gets it at create).</summary>
    public string CgroupPathOf(string id) => $"{Options.CgroupParent.TrimEnd('/')}/{id}";

    /// <summary>The Unix socket a container's monitor serves <c>attach</c> on.</summary>
    public string AttachSocketOf(string id) => AttachServer.PathOf(Options.AttachDir, id);

    public string DirOf(string id) => Path.Combine(ContainersDir, id);

    public string LogPathOf(string id) => Path.Combine(DirOf(id), id + "-json.log");

    /// <summary>Stored configs by the very string a row carries: a row this process has just created (or parsed)
    /// is not parsed again, which keeps <c>run</c> from building the serializer's metadata for it at all.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, StoredContainerConfig> s_parsedConfigs = new();

    /// <summary><paramref name="current"/>, read again from the store, with the config string of
    /// <paramref name="known"/> when the two are equal: ConfigOf then finds the parse it has for that string instead
    /// of parsing the copy (in a process that has parsed none yet, ~1 ms of serializer metadata).</summary>
    internal static ContainerRow WithKnownConfig(ContainerRow current, ContainerRow? known) =>
        known is not null && !ReferenceEquals(current.Config, known.Config) && string.Equals(current.Config, known.Config, StringComparison.Ordinal)
            ? current with { Config = known.Config }
            : current;

    /// <summary>The container's stored config; one that does not parse is the store's damage (DataLoss), named.</summary>
    public static StoredContainerConfig ConfigOf(ContainerRow row) =>
        s_parsedConfigs.GetValue(row.Config, json =>
        {
            try
            {
                return JsonSerializer.Deserialize(json, ContainerJsonContext.Default.StoredContainerConfig)
                    ?? throw BerthException.DataLoss($"container {row.Id}: empty config");
            }
            catch (JsonException e)
            {
                throw new BerthException(ErrorKind.DataLoss, $"container {row.Id}: stored config: {e.Message}", e);
            }
        });

    /// <summary>The OCI spec of the container's bundle. Berth wrote it: one that cannot be read is the store's damage
    /// (DataLoss, the daemon's 500), not a caller's bad input as a bundle handed to <c>berth runtime</c> would be.</summary>
    internal static Berth.Runtime.Spec.RuntimeSpec SpecOf(string bundle)
    {
        try
        {
            return ContainerRuntime.LoadSpec(bundle);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            throw new BerthException(ErrorKind.DataLoss, $"container bundle {e.Message}", e);
        }
    }

    /// <summary>The command line <c>ps</c> shows (the list's <c>Command</c>): path and arguments joined by spaces, an
    /// argument holding a space in single quotes, as dockerd's daemon/list.go writes it.</summary>
    public static string CommandOf(ContainerRow row) =>
        string.Join(' ', ConfigOf(row).Args.Select((a, i) => i > 0 && a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));

    /// <summary>Finds a container by full ID, name (with or without docker's leading '/') or unique ID prefix, and
    /// brings its state up to date. Throws NotFound with docker's wording.</summary>
    public ContainerRow Resolve(string nameOrId)
    {
        if (TryResolve(nameOrId, out var row)) return row!;
        throw BerthException.NotFound($"No such container: {nameOrId}");
    }

    /// <summary>The container's row as recorded, not reconciled (null when it is gone): what an attach to a run just
    /// started connects with (see <see cref="AttachAsync"/>), where reconciling would wait for the attach itself.</summary>
    public ContainerRow? Recorded(string id) => Store.Metadata.GetContainer(id);

    public bool TryResolve(string nameOrId, out ContainerRow? row)
    {
        var md = Store.Metadata;
        row = md.GetContainer(nameOrId) ?? md.GetContainerByName(nameOrId.TrimStart('/'));
        if (row is null && nameOrId.Length is > 0 and < 64 && nameOrId.All(char.IsAsciiHexDigitLower))
        {
            var matches = md.FindContainersByIdPrefix(nameOrId);
            if (matches.Count > 1) throw BerthException.Invalid($"multiple IDs found with provided prefix: {nameOrId}");
            row = matches.FirstOrDefault();
        }
        if (row is null) return false;
        row = Reconcile(row);
        return true;
    }

    public IReadOnlyList<ContainerRow> List() => Store.Metadata.ListContainers().Select(Reconcile).ToList();

    /// <summary>A "running" row whose process is gone, and whose parent is gone too (so nobody will record the
    /// exit), becomes "exited"; its runtime state (cgroup) is cleaned up.</summary>
    public ContainerRow Reconcile(ContainerRow row)
    {
        if (row.Status != "running") return row;
        if (Berth.Runtime.Process.ProcessInfo.IsAlive(row.Pid, row.PidStart)) return row;
        if (Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart) && AwaitMonitor(row) is { } recorded)
            return recorded;
        RecordExit(row, row.PidStart, LostExitCode, oomKilled: false);
        // Whoever holds the container's lock (an rm, a start) cleans up itself: no waiting for it here.
        using (var held = Store.TryLockContainer(row.Id))
            if (held is not null) CleanupAfterExit(row, held);
        return Store.Metadata.GetContainer(row.Id) ?? row;
    }

    /// <summary>The parent (monitor) of a dead init is about to record the exit: gives it up to a second rather than
    /// guess the code, waking when an event is recorded (the exit comes with its "die") or when the monitor itself
    /// dies (its pidfd), never on a timer. The row as recorded; null when the monitor died without recording it;
    /// the row unchanged when the monitor lives on without recording (reconciled later).</summary>
    private ContainerRow? AwaitMonitor(ContainerRow row)
    {
        using var tick = Events.Watch();
        using var stop = new CancellationTokenSource();
        var monitorGone = Berth.Runtime.Process.ProcessExit.WaitAsync(row.MonitorPid, row.MonitorStart, TimeSpan.FromSeconds(1), stop.Token);
        var deadline = Environment.TickCount64 + 1000;
        try
        {
            while (true)
            {
                var again = Store.Metadata.GetContainer(row.Id);
                if (again is null || again.Status != "running" || again.PidStart != row.PidStart) return again ?? row;
                var left = deadline - Environment.TickCount64;
                if (monitorGone.IsCompleted || left <= 0) break;
                Task.WaitAny(monitorGone, tick.WaitAsync(TimeSpan.FromMilliseconds(left), stop.Token));
            }
        }
        finally
        {
            stop.Cancel();
        }
        return Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart) ? row : null;
    }

    /// <summary>After the run of <paramref name="ran"/> ended and was recorded: removes its runtime state (cgroup)
    /// and attach socket, holding the container's lock, unless the container was removed or started again
    /// meanwhile (whoever did so cleaned up: a start removes what a previous run left).</summary>
    private void CleanupAfterExit(ContainerRow ran, FileLock held)
    {
        var now = Store.Metadata.GetContainer(ran.Id);
        if (now is null)
        {
            // Removed: taking the lock has made its file again.
            held.DeleteFile();
            return;
        }
        if (now.Status != "exited" || now.PidStart != ran.PidStart) return;
        CleanupRuntime(ran.Id);
        // The monitor that served attaches is gone; its socket file is not.
        AttachServer.Remove(AttachSocketOf(ran.Id));
    }

    /// <summary>Removes the runtime's state and cgroup of a container whose processes are gone (or killed).</summary>
    internal void CleanupRuntime(string id)
    {
        // The run's addresses and veths go with it: the kernel deletes the veths with the namespace, unless another
        // container still runs in that namespace (--network container:ID), which loses them as with docker.
        Networks.Disconnect(id, namespaceDying: !HasRunningJoiners(id));
        // Already gone (the common case for run --rm, cleaned up by Finish): no exception to throw and catch.
        if (!Directory.Exists(Path.Combine(Runtime.StateRoot, id))) return;
        try
        {
            Runtime.Delete(id, force: true);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
        }
        catch (IOException)
        {
            // Another process (the monitor, or a concurrent rm) removed the state in the meantime.
        }
    }

    /// <summary>The directory where containers that joined this one's network namespace (<c>--network
    /// container:ID</c>) leave a marker named by their ID at each start.</summary>
    private string JoinersDirOf(string id) => Path.Combine(DirOf(id), "netns-joiners");

    /// <summary>Whether a container that joined <paramref name="id"/>'s network namespace still runs (and so keeps the
    /// namespace alive); markers of joiners that stopped or went are removed.</summary>
    private bool HasRunningJoiners(string id)
    {
        var dir = JoinersDirOf(id);
        if (!Directory.Exists(dir)) return false;
        var running = false;
        foreach (var marker in Directory.EnumerateFiles(dir))
        {
            if (Store.Metadata.GetContainer(Path.GetFileName(marker)) is { } joiner &&
                Berth.Runtime.Process.ProcessInfo.IsAlive(joiner.Pid, joiner.PidStart)) running = true;
            else File.Delete(marker);
        }
        return running;
    }

    /// <summary>What containers keep alive: their image's config and layers, even once the image row is gone
    /// (<c>rmi -f</c>).</summary>
    public static GarbageCollector.Roots ImageRoots(Store store)
    {
        // Containers pin their image's layers and config even if the image row is gone (rmi -f).
        var blobs = new HashSet<Digest>();
        var snapshots = new HashSet<Digest>();
        foreach (var row in store.Metadata.ListContainers())
        {
            if (!Digest.TryParse(row.ImageId, out var image)) continue;
            blobs.Add(image);
            foreach (var dir in ConfigOf(row).LowerDirs)
            {
                var hex = Path.GetFileName(Path.GetDirectoryName(dir));
                if (hex is not null && Digest.TryParse("sha256:" + hex, out var chain)) snapshots.Add(chain);
            }
        }
        return new GarbageCollector.Roots(blobs, snapshots);
    }

    /// <summary>Entries of <c>containers/</c> that are not the bundle of a container with a row: what a
    /// <c>run</c> or <c>create</c> killed before it recorded its container leaves (<c>upper</c>, <c>work</c>,
    /// <c>rootfs</c>), and <c>.del-*</c> bundles of an interrupted <c>rm</c>. Only consulted under the store's
    /// exclusive lock, and <see cref="Create"/> holds the shared lock from its first directory to its row, so a
    /// container being created is never taken for debris.</summary>
    public static IEnumerable<Debris> FindDebris(Store store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ids = store.Metadata.ListContainers().Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var e in Archive.FileTree.List(Path.Combine(store.Root, "containers")))
            if (!e.IsDirectory || e.Utf8Name is not { } name || !ids.Contains(name))
                yield return new Debris($"{e.DisplayPath}: container directory without a container", () => Archive.FileTree.Remove(e));
        // The lock of a container whose create was killed: removed, like rm does, while holding it.
        foreach (var e in Archive.FileTree.List(Path.Combine(store.Root, "locks", "containers")))
        {
            if (e.Utf8Name is { } id && ids.Contains(id)) continue;
            yield return new Debris($"{e.DisplayPath}: lock of a container that does not exist", () =>
            {
                if (e.Kind != Archive.FileTree.EntryKind.Regular || e.Utf8Name is not { Length: > 0 } id || !id.All(char.IsAsciiHexDigitLower))
                {
                    Archive.FileTree.Remove(e);
                    return;
                }
                using var held = store.TryLockContainer(id);
                held?.DeleteFile(); // held by someone: in use after all, left alone
            });
        }
    }
}
