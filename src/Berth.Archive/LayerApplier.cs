namespace Berth.Archive;

/// <summary>
/// Unpacks an uncompressed layer tar into a directory, following the OCI layer rules
/// (<see href="https://github.com/opencontainers/image-spec/blob/main/layer.md"/>) and what Docker's overlay2
/// driver does when it fills a layer's diff dir.
/// <para>Every path is resolved inside the root (<c>openat2(RESOLVE_IN_ROOT)</c>, or a component walk without
/// it), the final component is never followed, and metadata is set through descriptors, so no entry (a
/// "../x" name, a symlink to "/etc" followed by "evil/passwd", a hard link out) writes outside the root. Names
/// that escape are refused, naming the entry. Device nodes are never created: they are counted and skipped.</para>
/// <para>The archive is parsed in order on the calling thread. Small regular files are created, written and
/// closed by up to <see cref="ApplyOptions.Parallelism"/> worker threads, since creating a file mostly waits on
/// the filesystem journal; every other entry waits for the files before it, so the tree is the same for any
/// parallelism. No worker outlives the call.</para>
/// </summary>
public static class LayerApplier
{
    /// <summary>Applies <paramref name="uncompressedTar"/> to <paramref name="rootDir"/>, which must exist. The
    /// stream is read to its end, so a hashing stream underneath sees every byte.</summary>
    public static ApplyResult Apply(Stream uncompressedTar, string rootDir, ApplyOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uncompressedTar);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Parallelism, 1, nameof(options));
        using RootFs root = RootFs.Open(rootDir);
        using LayerApplication application = new(root, options);
        return application.Run(uncompressedTar, ct);
    }

    /// <summary><see cref="Apply"/> on a pool thread: the work is blocking system calls.</summary>
    public static Task<ApplyResult> ApplyAsync(Stream uncompressedTar, string rootDir, ApplyOptions options, CancellationToken ct) =>
        Task.Run(() => Apply(uncompressedTar, rootDir, options, ct), ct);
}
