using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Dockerfile.Ignore;

/// <summary>
/// One cleaned pattern of a <see cref="PatternMatcher"/>, compiled on first use as moby/patternmatcher does: an
/// exact string, a prefix (<c>dir/**</c>), a suffix (<c>**/name</c>), or a regular expression where <c>*</c> and
/// <c>?</c> never cross '/' and <c>**</c> spans directories. Matching takes time linear in the path, whatever the
/// pattern (the regular expression runs on .NET's non-backtracking engine, as Go's regexp is an automaton).
/// </summary>
public sealed class IgnorePattern
{
    private enum MatchKind { Unknown, Exact, Prefix, Suffix, Regex }

    // One code point other than '/': Go's regexp works on runes.
    private const string NotSlashRune = @"(?:[^/\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])";

    private MatchKind _kind;
    private Regex? _regex;
    private Exception? _error;

    internal IgnorePattern(string cleaned, bool exclusion)
    {
        Cleaned = cleaned;
        Exclusion = exclusion;
        Dirs = cleaned.Split('/');
    }

    /// <summary>The pattern after cleaning, without its '!'.</summary>
    public string Cleaned { get; }

    /// <summary>True for a <c>!pattern</c> that re-includes what earlier patterns excluded.</summary>
    public bool Exclusion { get; }

    internal string[] Dirs { get; }

    public override string ToString() => Exclusion ? "!" + Cleaned : Cleaned;

    /// <summary>Whether <paramref name="path"/> itself (not its parents) matches.</summary>
    /// <exception cref="InvalidIgnorePatternException">The pattern cannot be compiled (every call, not just the first).</exception>
    public bool Match(string path)
    {
        if (_kind == MatchKind.Unknown && _error is null)
        {
            Compile();
        }
        if (_error is not null)
        {
            throw new InvalidIgnorePatternException(Cleaned, "syntax error in pattern", _error);
        }
        switch (_kind)
        {
            case MatchKind.Exact:
                return path == Cleaned;
            case MatchKind.Prefix:
                return path.StartsWith(Cleaned[..^2], StringComparison.Ordinal);
            case MatchKind.Suffix:
                var suffix = Cleaned[2..];
                if (path.EndsWith(suffix, StringComparison.Ordinal))
                {
                    return true;
                }
                // "**/foo" also matches "foo".
                return suffix.Length > 0 && suffix[0] == '/' && path == suffix[1..];
            default:
                return _regex!.IsMatch(path);
        }
    }

    private void Compile()
    {
        var re = new StringBuilder("^");
        var kind = MatchKind.Exact;
        var p = Cleaned;
        var pos = 0;
        for (var i = 0; pos < p.Length; i++)
        {
            var ch = p[pos++];
            if (ch == '*')
            {
                if (pos < p.Length && p[pos] == '*')
                {
                    pos++;
                    // "**/" is "**": the slash is eaten.
                    if (pos < p.Length && p[pos] == '/')
                    {
                        pos++;
                    }
                    if (pos >= p.Length)
                    {
                        // A trailing "**" accepts everything below, as .gitignore does.
                        if (kind == MatchKind.Exact)
                        {
                            kind = MatchKind.Prefix;
                        }
                        else
                        {
                            re.Append(".*");
                            kind = MatchKind.Regex;
                        }
                    }
                    else
                    {
                        // Any number of directories, including none.
                        re.Append("(.*/)?");
                        kind = MatchKind.Regex;
                    }
                    if (i == 0)
                    {
                        kind = MatchKind.Suffix;
                    }
                }
                else
                {
                    re.Append("[^/]*");
                    kind = MatchKind.Regex;
                }
            }
            else if (ch == '?')
            {
                re.Append(NotSlashRune);
                kind = MatchKind.Regex;
            }
            else if (ch is '.' or '+' or '(' or ')' or '|' or '{' or '}' or '$')
            {
                re.Append('\\').Append(ch);
            }
            else if (ch == '\\')
            {
                if (pos < p.Length)
                {
                    re.Append('\\').Append(p[pos++]);
                    kind = MatchKind.Regex;
                }
                else
                {
                    re.Append('\\');
                }
            }
            else if (ch is '[' or ']')
            {
                re.Append(ch);
                kind = MatchKind.Regex;
            }
            else if (ch is '#' or ' ')
            {
                // Literal in Go's syntax; escaped so no .NET option can reinterpret them.
                re.Append('\\').Append(ch);
            }
            else
            {
                re.Append(ch);
            }
        }
        if (kind != MatchKind.Regex)
        {
            _kind = kind;
            return;
        }
        // Go's "$" (no multi-line flag) is the end of the text; .NET's would also accept a final "\n".
        re.Append(@"\z");
        try
        {
            // Go's regexp runs in time linear in the input; .NET's default engine backtracks, and 27 "*a" segments
            // against a 30-character name ran for minutes (issue 14). The non-backtracking engine keeps Go's bound.
            _regex = new Regex(re.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            _kind = MatchKind.Regex;
        }
        catch (ArgumentException e)
        {
            _error = e;
        }
    }
}
