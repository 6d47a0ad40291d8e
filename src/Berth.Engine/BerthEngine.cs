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
            ExtraRoots = () => GarbageCollector.Roots.Union(ContainerService.ImageRoots(Store), BuildService.CacheRoots(Store)),
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
