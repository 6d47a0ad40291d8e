namespace Berth.Archive;

/// <summary>How <see cref="LayerWriter.WriteDirectory"/> turns a directory into a layer tar.</summary>
public sealed record WriteOptions
{
    public static WriteOptions Default { get; } = new();

    /// <summary>When set, every mtime later than this is written as this (SOURCE_DATE_EPOCH, reproducible builds).</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>The directory is an overlayfs upper dir: a 0/0 character device becomes a <c>.wh.NAME</c> entry
    /// and a directory marked <c>trusted.overlay.opaque=y</c> gets a <c>.wh..wh..opq</c> entry first.</summary>
    public bool OverlayUpper { get; init; }

    /// <summary>Write xattrs as <c>SCHILY.xattr.*</c> PAX records. <c>trusted.overlay.*</c> is never written.</summary>
    public bool IncludeXattrs { get; init; } = true;

    /// <summary>Also write <c>security.selinux</c>, which is host policy rather than image content.</summary>
    public bool IncludeSelinuxLabels { get; init; }

    public int BufferSize { get; init; } = 1 << 20;
}
