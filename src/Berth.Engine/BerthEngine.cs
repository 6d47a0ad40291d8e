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
        _store = new(() => Store.Open(options.Root));
        _images = new(() => new ImageService(Store, Time)
        {
            ExtraRoots = () => GarbageCollector.Roots.Union(ContainerService.ImageRoots(Store), BuildService.CacheRoots(Store),
                // Debris of the layers above the store: a run or create killed before its record, a build killed
                // during a RUN step. Looked for under the store's exclusive lock, which no such work in flight lacks.
                GarbageCollector.Roots.None with { DebrisFinders = [() => ContainerService.FindDebris(Store), () => RuntimeRunStepExecutor.FindOrphans(options)] }),
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

    public void Dispose()
    {
        if (_store.IsValueCreated) _store.Value.Dispose();
    }
}
