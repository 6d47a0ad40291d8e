namespace Berth.Archive;

/// <summary>How <see cref="LayerApplier.Apply"/> unpacks a layer.</summary>
public sealed record ApplyOptions
{
    public static ApplyOptions Default { get; } = new();

    public WhiteoutMode Whiteouts { get; init; } = WhiteoutMode.Overlay;

    /// <summary>Set uid/gid from the archive (needs root). When false, files belong to the caller and xattrs the
    /// caller may not set are dropped silently (rootless).</summary>
    public bool PreserveOwnership { get; init; } = true;

    /// <summary>The largest PAX or GNU extension header accepted; larger ones are refused before being read.</summary>
    public long MaxHeaderBytes { get; init; } = 1 << 20;

    /// <summary>Apply <c>SCHILY.xattr.*</c> PAX records. <c>trusted.overlay.*</c> ones are always dropped so an
    /// image cannot forge overlay metadata.</summary>
    public bool ApplyXattrs { get; init; } = true;

    /// <summary>How many small regular files may be created at once. The archive is still parsed in order by one
    /// thread, and the resulting tree is the same for every value. 1 applies every entry on the calling thread.</summary>
    // File creation on ext4 is CPU work (measured: 85% in ext4_create), so more workers than cores only adds
    // contention; the reading thread is one of them.
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Read buffer size; file data is written straight out of it.</summary>
    public int BufferSize { get; init; } = 1 << 20;
}
