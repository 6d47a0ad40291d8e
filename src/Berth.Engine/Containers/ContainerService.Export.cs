using Berth.Archive;
using Berth.Runtime.Rootfs;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>export</c>: the container's whole filesystem (its image's layers with its own changes on top, not
    /// its volumes or berth's mounts) as one tar, running or not. The overlay is mounted read-only in a private
    /// mount namespace (<see cref="OverlayView"/>), so the host never holds it.</summary>
    public void Export(ContainerRow row, Stream output, CancellationToken ct)
    {
        OverlayView.Run(LayersOf(row), null, null, root =>
        {
            LayerWriter.WriteDirectory(root, output, new WriteOptions { IncludeXattrs = true }, ct);
            return 0;
        });
        Record(row, "export");
    }

    /// <summary>The container's overlay layers, topmost first: its upper dir, then its image's.</summary>
    private IReadOnlyList<string> LayersOf(ContainerRow row) =>
        [Path.Combine(DirOf(row.Id), "upper"), .. ConfigOf(row).LowerDirs];
}
