namespace Berth.Build.Cache;

/// <summary>Where COPY/ADD read from: the build context, or the tree of an image or earlier stage.</summary>
public interface ISourceFiles
{
    /// <summary>Paths (relative, slash-separated) matching a pattern that may hold <c>* ? [</c>.</summary>
    IReadOnlyList<string> Glob(string pattern);

    /// <summary>The entry at a path and, for a directory, everything below it, in ordinal order.</summary>
    List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct);
}
