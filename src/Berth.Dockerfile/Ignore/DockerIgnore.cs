namespace Berth.Dockerfile.Ignore;

/// <summary>
/// A <c>.dockerignore</c> file (moby/patternmatcher's <c>ignorefile.ReadAll</c> plus its matcher): which context
/// paths are left out of the build context.
/// </summary>
/// <remarks>
/// <para>Lines whose first character is <c>#</c> are comments; other lines are trimmed, cleaned like
/// <c>filepath.Clean</c>, lose one leading <c>/</c>, and keep a leading <c>!</c> (re-include). The last matching
/// pattern wins, and a pattern matching a directory matches everything below it.</para>
/// <para>The Dockerfile and the .dockerignore itself may be matched, and <see cref="Matches"/> says so truthfully.
/// As Docker does, the builder still reads both (it needs them to build); the match only keeps them out of what
/// COPY/ADD can see. That policy lives in the builder: this type only answers the pattern question.</para>
/// <para>The context root (<c>.</c> or empty) is never matched.</para>
/// </remarks>
public sealed class DockerIgnore
{
    private DockerIgnore(IReadOnlyList<string> patterns, PatternMatcher matcher)
    {
        Patterns = patterns;
        Matcher = matcher;
    }

    /// <summary>The patterns as read (cleaned, comments and blanks dropped).</summary>
    public IReadOnlyList<string> Patterns { get; }

    public PatternMatcher Matcher { get; }

    /// <summary>An empty ignore file: nothing is matched.</summary>
    public static DockerIgnore Empty { get; } = new([], PatternMatcher.Create([]));

    /// <summary>Reads the patterns of a .dockerignore and builds the matcher.</summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern is malformed.</exception>
    public static DockerIgnore Parse(string text)
    {
        var patterns = ReadPatterns(text);
        return new DockerIgnore(patterns, PatternMatcher.Create(patterns));
    }

    /// <summary>The pattern list of a .dockerignore text, without building a matcher (ignorefile.ReadAll).</summary>
    public static IReadOnlyList<string> ReadPatterns(string? text)
    {
        if (text is null)
        {
            return [];
        }
        var result = new List<string>();
        var first = true;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (first && line.StartsWith('\uFEFF'))
            {
                line = line[1..];
            }
            first = false;
            // The comment test comes before trimming: "  # x" is the pattern "# x".
            if (line.StartsWith('#'))
            {
                continue;
            }
            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }
            var invert = pattern[0] == '!';
            if (invert)
            {
                pattern = pattern[1..].Trim();
            }
            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/')
                {
                    pattern = pattern[1..];
                }
            }
            result.Add(invert ? "!" + pattern : pattern);
        }
        return result;
    }

    /// <summary>
    /// True when the context path (slash-separated, relative to the context root) is excluded from the context.
    /// The path is cleaned first; the root itself is never excluded.
    /// </summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern fails to compile.</exception>
    public bool Matches(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var path = GoPath.Clean(relativePath);
        return path != "." && Matcher.MatchesOrParentMatches(path);
    }

    /// <summary>
    /// True when a walker can skip <paramref name="relativeDirectory"/> and everything below it: the directory is
    /// excluded and no <c>!</c> pattern could re-include a descendant.
    /// </summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern fails to compile.</exception>
    public bool CanSkipDirectory(string relativeDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativeDirectory);
        var path = GoPath.Clean(relativeDirectory);
        return path != "." && Matcher.CanSkipDirectory(path);
    }
}
