namespace Berth.Dockerfile.Ignore;

/// <summary>
/// An ordered list of ignore patterns (moby/patternmatcher). A path is matched when the last pattern that applies
/// to it or to one of its parent directories is an inclusion; <c>!</c> patterns re-include.
/// </summary>
public sealed class PatternMatcher
{
    private PatternMatcher(IReadOnlyList<IgnorePattern> patterns)
    {
        Patterns = patterns;
        HasExclusions = patterns.Any(p => p.Exclusion);
    }

    public IReadOnlyList<IgnorePattern> Patterns { get; }

    /// <summary>True when some pattern starts with '!'.</summary>
    public bool HasExclusions { get; }

    /// <summary>
    /// Builds a matcher: each pattern is trimmed and path-cleaned, empty ones are dropped, and the syntax is checked
    /// with Go's filepath.Match rules.
    /// </summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern is <c>!</c> alone or malformed.</exception>
    public static PatternMatcher Create(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var list = new List<IgnorePattern>();
        foreach (var raw in patterns)
        {
            var p = raw.Trim();
            if (p.Length == 0)
            {
                continue;
            }
            p = GoPath.Clean(p);
            var exclusion = false;
            if (p[0] == '!')
            {
                if (p.Length == 1)
                {
                    throw new InvalidIgnorePatternException(raw, "illegal exclusion pattern: \"!\"");
                }
                exclusion = true;
                p = p[1..];
            }
            try
            {
                GoPath.Match(p, ".");
            }
            catch (FormatException e)
            {
                throw new InvalidIgnorePatternException(p, e.Message, e);
            }
            list.Add(new IgnorePattern(p, exclusion));
        }
        return new PatternMatcher(list);
    }

    /// <summary>
    /// Whether <paramref name="path"/> (slash-separated, relative, used as given) is matched by the patterns,
    /// looking at the path and each of its parent directories.
    /// </summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern that passed construction fails to compile.</exception>
    public bool MatchesOrParentMatches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var matched = false;
        var parentPath = GoPath.Dir(path);
        var parentDirs = parentPath.Split('/');
        foreach (var pattern in Patterns)
        {
            // An inclusion only matters while unmatched, an exclusion only while matched.
            if (pattern.Exclusion != matched)
            {
                continue;
            }
            var match = pattern.Match(path);
            if (!match && parentPath != ".")
            {
                for (var i = 0; i < parentDirs.Length && !match; i++)
                {
                    match = pattern.Match(string.Join('/', parentDirs, 0, i + 1));
                }
            }
            if (match)
            {
                matched = !pattern.Exclusion;
            }
        }
        return matched;
    }

    /// <summary>
    /// True when <paramref name="directory"/> is matched and no exclusion pattern can match anything below it, so a
    /// walker may skip the whole subtree. Conservative: false whenever an exclusion might re-include a descendant.
    /// </summary>
    /// <exception cref="InvalidIgnorePatternException">A pattern fails to compile.</exception>
    public bool CanSkipDirectory(string directory)
    {
        if (!MatchesOrParentMatches(directory))
        {
            return false;
        }
        var dirParts = directory.Split('/');
        foreach (var pattern in Patterns)
        {
            if (pattern.Exclusion && CouldMatchBelow(pattern, dirParts))
            {
                return false;
            }
        }
        return true;
    }

    // A pattern without "**" has as many components as the paths it matches ('*' and '?' never cross '/'), so it
    // can match below dir only if it is longer than dir and its leading components match dir's.
    private static bool CouldMatchBelow(IgnorePattern pattern, string[] dirParts)
    {
        var parts = pattern.Dirs;
        if (pattern.Cleaned.Contains('[', StringComparison.Ordinal) && pattern.Cleaned.Contains('/', StringComparison.Ordinal))
        {
            // A class could hold a '/', which makes component counting unsound; assume it may match.
            return true;
        }
        for (var i = 0; i < dirParts.Length; i++)
        {
            if (i >= parts.Length)
            {
                return false;
            }
            if (parts[i].Contains("**", StringComparison.Ordinal))
            {
                return true;
            }
            try
            {
                if (!new IgnorePattern(parts[i], exclusion: false).Match(dirParts[i]))
                {
                    return false;
                }
            }
            catch (InvalidIgnorePatternException)
            {
                return true;
            }
        }
        return parts.Length > dirParts.Length;
    }
}
