namespace Berth.Archive;

/// <summary>What one <see cref="LayerApplier.Apply"/> did.</summary>
public sealed record ApplyResult
{
    /// <summary>Archive members read, whiteouts and skipped ones included.</summary>
    public long Entries { get; init; }

    /// <summary>File data bytes written.</summary>
    public long BytesWritten { get; init; }

    /// <summary>Character and block devices (other than whiteouts) that were not created.</summary>
    public long SkippedDevices { get; init; }

    /// <summary>Other members not created: unknown types, AUFS metadata.</summary>
    public long SkippedOther { get; init; }

    /// <summary><c>.wh.</c> entries handled, opaque markers included.</summary>
    public long Whiteouts { get; init; }

    /// <summary>Bytes of the (uncompressed) archive consumed.</summary>
    public long ArchiveBytes { get; init; }
}
