using System.Text.Json;
using Berth.Engine.Images;
using Berth.Engine.Volumes;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage;
using Berth.Storage.Gc;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>Containers: create, start (attached, or detached under a monitor), stop, kill, remove, exec, logs, list,
/// inspect, wait, top and prune, docker's lifecycle on berth's runtime. Split by verb into partial files.
/// <para>Layout: <c>&lt;root&gt;/containers/&lt;id&gt;/</c> is the OCI bundle (config.json, an empty <c>rootfs</c>
/// mount point, the overlay's <c>upper</c> and <c>work</c>), plus <c>hostname</c>, <c>hosts</c>, <c>resolv.conf</c>
/// and <c>&lt;id&gt;-json.log</c>. The runtime keeps its own state under <c>&lt;root&gt;/runtime</c>. The overlay is
/// mounted by the container's init inside its own mount namespace, so the host never holds a container mount.</para>
/// <para>State: a row in the metadata (created → running → exited). Whoever is the init's parent — the attached CLI
/// or the monitor — records the exit. Readers check a "running" row against the live process (PID and start time)
/// and, when both the container and its parent are gone, record the container as exited (255, as docker after a
/// daemon crash).</para></summary>
public sealed partial class ContainerService
{
    /// <summary>The exit code recorded for a container whose exit nobody saw (its parent died first).</summary>
    public const int LostExitCode = 255;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ImageService, object> s_attached = [];
    private ContainerRuntime? _runtime;

    public ContainerService(Store store, ImageService images, TimeProvider time)
    {
        Store = store;
        Images = images;
        Time = time;
        Volumes = new VolumeService(store, time);
        ContainersDir = Path.Combine(store.Root, "containers");
        Attach(images);
        Volumes.UsedBy = name => Store.Metadata.ListContainers().Where(c => ConfigOf(c).Mounts.Any(m => m.Type == "volume" && m.Name == name)).Select(c => c.Id).ToList();
    }

    public Store Store { get; }
    public ImageService Images { get; }
    public VolumeService Volumes { get; }
    public TimeProvider Time { get; }
    public string ContainersDir { get; }

    /// <summary>berth's own runtime, its state beside the store so that every store root is independent.</summary>
    public ContainerRuntime Runtime => _runtime ??= new ContainerRuntime(new RuntimeOptions { StateRoot = Path.Combine(Store.Root, "runtime") });

    public string DirOf(string id) => Path.Combine(ContainersDir, id);

    public string LogPathOf(string id) => Path.Combine(DirOf(id), id + "-json.log");

    /// <summary>Stored configs by the very string a row carries: a row this process has just created (or parsed)
    /// is not parsed again, which keeps <c>run</c> from building the serializer's metadata for it at all.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, StoredContainerConfig> s_parsedConfigs = new();

    public static StoredContainerConfig ConfigOf(ContainerRow row) =>
        s_parsedConfigs.GetValue(row.Config, json => JsonSerializer.Deserialize(json, ContainerJsonContext.Default.StoredContainerConfig)
            ?? throw BerthException.DataLoss($"container {row.Id}: empty config"));

    /// <summary>Finds a container by full ID, name (with or without docker's leading '/') or unique ID prefix, and
    /// brings its state up to date. Throws NotFound with docker's wording.</summary>
    public ContainerRow Resolve(string nameOrId)
    {
        if (TryResolve(nameOrId, out var row)) return row!;
        throw BerthException.NotFound($"No such container: {nameOrId}");
    }

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
        if (Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart))
        {
            // The parent is about to record the exit; give it a moment rather than guess the code.
            for (var i = 0; i < 100 && Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart); i++)
            {
                Thread.Sleep(10);
                var again = Store.Metadata.GetContainer(row.Id);
                if (again is null || again.Status != "running" || again.PidStart != row.PidStart) return again ?? row;
            }
            if (Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart)) return row;
        }
        Store.Metadata.RecordContainerExit(row.Id, row.PidStart, LostExitCode, false, Time.GetUtcNow());
        CleanupRuntime(row.Id);
        // The monitor that served attaches is gone; its socket file is not.
        File.Delete(AttachServer.PathOf(row.Id));
        return Store.Metadata.GetContainer(row.Id) ?? row;
    }

    /// <summary>Removes the runtime's state and cgroup of a container whose processes are gone (or killed).</summary>
    internal void CleanupRuntime(string id)
    {
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

    /// <summary>Makes the image service container-aware: <c>rmi</c> refuses images containers use, and GC keeps
    /// their layers. Returns <paramref name="images"/>.</summary>
    public static ImageService Attach(ImageService images)
    {
        if (!s_attached.TryAdd(images, s_attached)) return images;
        var store = images.Store;
        images.ContainersUsing = image => store.Metadata.ContainerImages().Where(c => c.ImageId == image.ToString()).Select(c => c.ContainerId).ToList();
        var others = images.ExtraRoots;
        images.ExtraRoots = () =>
        {
            var mine = ImageRoots(store);
            var theirs = others();
            return new GarbageCollector.Roots(mine.Blobs.Union(theirs.Blobs).ToHashSet(), mine.Snapshots.Union(theirs.Snapshots).ToHashSet());
        };
        return images;
    }

    private static GarbageCollector.Roots ImageRoots(Store store)
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
}
