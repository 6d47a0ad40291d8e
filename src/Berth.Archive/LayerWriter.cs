namespace Berth.Archive;

/// <summary>
/// Turns a directory into a layer tar: the reverse of <see cref="LayerApplier"/>. Output is deterministic
/// (children sorted bytewise, parents before children, no atime/ctime, mtimes clamped to SOURCE_DATE_EPOCH when
/// set), ustar with PAX extensions as Docker writes. With <see cref="WriteOptions.OverlayUpper"/> an overlayfs
/// upper dir becomes an OCI changeset: 0/0 character devices become <c>.wh.NAME</c> and opaque directories get a
/// <c>.wh..wh..opq</c> entry (<see href="https://github.com/opencontainers/image-spec/blob/main/layer.md"/>).
/// </summary>
public static class LayerWriter
{
    public static void WriteDirectory(string dir, Stream output, WriteOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        using LayerWriting writing = new(dir, output, options);
        writing.Run(ct);
    }

    /// <summary><see cref="WriteDirectory"/> on a pool thread: the work is blocking system calls.</summary>
    public static Task WriteDirectoryAsync(string dir, Stream output, WriteOptions options, CancellationToken ct) =>
        Task.Run(() => WriteDirectory(dir, output, options, ct), ct);
}
