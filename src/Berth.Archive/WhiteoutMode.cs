namespace Berth.Archive;

/// <summary>What <see cref="LayerApplier"/> does with OCI whiteout entries
/// (<see href="https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts"/>).</summary>
public enum WhiteoutMode
{
    /// <summary>The root is one layer's own directory, later stacked with overlayfs: <c>.wh.NAME</c> becomes a
    /// 0/0 character device and <c>.wh..wh..opq</c> sets <c>trusted.overlay.opaque=y</c> on its directory.</summary>
    Overlay,

    /// <summary>The root is a flattened tree holding the lower layers: <c>.wh.NAME</c> removes NAME and
    /// <c>.wh..wh..opq</c> removes every child of its directory that this layer did not create.</summary>
    Delete,
}
