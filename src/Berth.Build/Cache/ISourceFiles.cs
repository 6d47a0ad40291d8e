namespace Berth.Build.Cache;

/// <summary>Where COPY/ADD read from: the build context, or the tree of an image or earlier stage. Every path is
/// resolved inside that tree: a symlink is followed within it, never to the host's files.</summary>
public interface ISourceFiles
{
    /// <summary>Paths (relative, slash-separated) matching a pattern that may hold <c>* ? [</c>.</summary>
    IReadOnlyList<string> Glob(string pattern);

    /// <summary>The entry at a path (a symlink there is followed, inside the tree) and, for a directory, everything
    /// below it (symlinks kept as symlinks), in ordinal order. Empty when the path leads nowhere.</summary>
    List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct);

    /// <summary>The content of a regular file <see cref="Walk"/> returned: the same file that was hashed, or an
    /// error if it changed since.</summary>
    Stream OpenRead(ContextEntry entry);
}
