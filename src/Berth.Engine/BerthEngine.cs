using Berth.Engine.Builds;
using Berth.Engine.Containers;
using Berth.Engine.Images;
using Berth.Engine.Volumes;
using Berth.Storage;
using Berth.Storage.Gc;

namespace Berth.Engine;

/// <summary>The engine: one object per front end (the CLI, the monitor, later the daemon), built once from one
/// <see cref="EngineOptions"/>, holding the store and the services over it. This is where the services are wired
/// to each other, and the one place that lists what garbage collection must keep (images, containers, the build
/// cache): whichever process runs a collection sees the same roots. The store is opened on first use, so a
/// front end's usage errors never touch it.</summary>
public sealed class BerthEngine : IDisposable
{
    private readonly Lazy<Store> _store;
    private readonly Lazy<ImageService> _images;
    private readonly Lazy<ContainerService> _containers;
    private readonly Lazy<BuildService> _builds;

    public BerthEngine(EngineOptions options, TimeProvider? time = null)
    {
        Options = options;
        Time = time ?? TimeProvider.System;
        _store = new(() =>
        {
            RequirePrivileges();
            return Store.Open(options.Root);
        });
        _images = new(() => new ImageService(Store, Time)
        {
            Registries = new Images.RegistryAccess(options.ConfigPath, options.DockerConfigDirectory, Time),
            ExtraRoots = () => GarbageCollector.Roots.Union(ContainerService.ImageRoots(Store), BuildService.CacheRoots(Store),
                // Debris of the layers above the store: a run or create killed before its record, a build killed
                // during a RUN step. Looked for under the store's exclusive lock, which no such work in flight lacks.
                GarbageCollector.Roots.None with
                {
                    DebrisFinders = [() => ContainerService.FindDebris(Store), () => RuntimeRunStepExecutor.FindOrphans(options),
                        () => Networks.NetworkService.FindDebris(Store, row => row.Status == "running" && Berth.Runtime.Process.ProcessInfo.IsAlive(row.Pid, row.PidStart)),
                        () => Networks.NetworkResolver.FindDebris(Store, options)],
                }),
            ContainersUsing = image => Store.Metadata.ContainerImages().Where(c => c.ImageId == image.ToString()).Select(c => c.ContainerId).ToList(),
        });
        _containers = new(() => new ContainerService(Store, Images, Options, Time));
        _builds = new(() => new BuildService(Images, Options, Time));
    }

    public EngineOptions Options { get; }
    public TimeProvider Time { get; }
    public Store Store => _store.Value;
    public ImageService Images => _images.Value;
    public ContainerService Containers => _containers.Value;
    public VolumeService Volumes => Containers.Volumes;
    public BuildService Builds => _builds.Value;
    public Events.EventService Events => Containers.Events;

    /// <summary><c>version</c>'s server part: this berth, the API it speaks, and the runtime and init it runs
    /// containers with (all the same binary). Reads no store.</summary>
    public SystemVersion Version()
    {
        var stamp = SystemVersion.Stamp();
        // RFC 3339 with nanoseconds, as dockerd's /version has it.
        var built = stamp.Built is { } b ? b.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture) + "00+00:00" : "";
        var kernel = HostFacts.KernelVersion();
        var engine = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ApiVersion"] = SystemVersion.ApiVersionValue, ["Arch"] = stamp.Arch, ["BuildTime"] = AnsiC(stamp.Built),
            ["Experimental"] = "false", ["GitCommit"] = stamp.GitCommit, ["GoVersion"] = stamp.DotnetVersion,
            ["KernelVersion"] = kernel, ["MinAPIVersion"] = SystemVersion.MinApiVersionValue, ["Os"] = stamp.Os,
        };
        var own = new Dictionary<string, string>(StringComparer.Ordinal) { ["GitCommit"] = stamp.GitCommit };
        return new SystemVersion
        {
            Platform = new VersionPlatform { Name = "berth" },
            Components =
            [
                new VersionComponent { Name = "Engine", Version = stamp.Version, Details = engine },
                new VersionComponent { Name = "berth-runtime", Version = stamp.Version, Details = own },
                new VersionComponent { Name = "berth-init", Version = stamp.Version, Details = own },
            ],
            Version = stamp.Version, GitCommit = stamp.GitCommit, GoVersion = stamp.DotnetVersion, Os = stamp.Os, Arch = stamp.Arch,
            KernelVersion = kernel, BuildTime = built,
        };
    }

    /// <summary>Go's time.ANSIC (<c>Fri May 30 12:07:14 2025</c>), as docker prints build times.</summary>
    public static string AnsiC(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("ddd MMM ", System.Globalization.CultureInfo.InvariantCulture) + v.UtcDateTime.Day.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(2)
            + v.UtcDateTime.ToString(" HH:mm:ss yyyy", System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary><c>info</c>: what the store holds (containers by state, images), how containers are run (the
    /// snapshotter, cgroups, runtime, security options) and the host (kernel, OS, CPUs, memory).</summary>
    public SystemInfo Info()
    {
        var containers = Containers.List();
        int running = containers.Count(c => c.Status == "running");
        int paused = containers.Count(c => c.Status == "paused");
        var cgroupVersion = HostFacts.CgroupVersion();
        var (osName, osVersion) = HostFacts.OperatingSystem();
        var exe = Options.Executable ?? Environment.ProcessPath ?? "berth";
        var warnings = new List<string>();
        return new SystemInfo
        {
            Containers = containers.Count, ContainersRunning = running, ContainersPaused = paused, ContainersStopped = containers.Count - running - paused,
            Images = Images.List().Count,
            Driver = "overlayfs",
            DriverStatus = [["Snapshots", Path.Combine(Options.Root, "snapshots")]],
            LoggingDriver = "json-file",
            CgroupDriver = "cgroupfs", CgroupVersion = cgroupVersion,
            KernelVersion = HostFacts.KernelVersion(), OperatingSystem = osName, OsVersion = osVersion, OsType = "linux",
            Architecture = HostFacts.Machine(), Ncpu = Environment.ProcessorCount, MemTotal = HostFacts.MemTotal(),
            DockerRootDir = Options.Root, StateDir = Options.StateDir, CgroupParent = Options.CgroupParent,
            Name = Environment.MachineName, ServerVersion = SystemVersion.Stamp().Version,
            Runtimes = new Dictionary<string, InfoRuntime>(StringComparer.Ordinal) { ["berth"] = new() { Path = exe } },
            DefaultRuntime = "berth", InitBinary = exe,
            SecurityOptions = HostFacts.SecurityOptions(cgroupVersion),
            Warnings = warnings,
        };
    }

    /// <summary>berth applies layers with their owners, mounts overlays and makes namespaces and cgroups: all of
    /// it needs root until a rootless mode exists. Said once, before the store is touched, instead of a raw
    /// <c>fchown: Operation not permitted</c> from the middle of an import.</summary>
    private static void RequirePrivileges()
    {
        if (!Environment.IsPrivilegedProcess)
            throw new Oci.Errors.BerthException(Oci.Errors.ErrorKind.PermissionDenied,
                "berth needs root privileges (rootless mode is not supported yet): run it as root or with sudo");
    }

    public void Dispose()
    {
        if (_store.IsValueCreated) _store.Value.Dispose();
    }
}
