namespace Berth.Build.Cache;

/// <summary>Go's <c>filepath.Match</c> for one path segment (<c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>[^x]</c>, <c>\</c>),
/// as COPY sources use it. A malformed class (no closing <c>]</c>) matches nothing.</summary>
public static class Globs
{
    public static bool HasMeta(string s) => s.AsSpan().IndexOfAny("*?[\\") >= 0;

    /// <summary>Greedy star matching with one backtrack point, the latest <c>*</c>: on a mismatch the star takes
    /// one more character and matching resumes after it. An earlier star never needs revisiting (whatever a later
    /// star can reach, it reaches from further right too), so the time is at most pattern × name, never the
    /// exponential of trying every split for every star.</summary>
    public static bool Match(string pattern, string name)
    {
        ReadOnlySpan<char> p = pattern, n = name;
        int pi = 0, ni = 0;
        int starP = -1, starN = 0; // after the latest star: where the pattern resumes, and the name position it last took
        while (ni < n.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                while (pi < p.Length && p[pi] == '*') pi++;
                starP = pi;
                starN = ni;
                continue;
            }
            if (pi < p.Length && MatchOne(p, pi, n[ni]) is { } next)
            {
                pi = next;
                ni++;
                continue;
            }
            if (starP < 0) return false;
            // Let the star swallow one more character and try the rest of the pattern from there.
            pi = starP;
            ni = ++starN;
        }
        while (pi < p.Length && p[pi] == '*') pi++;
        return pi == p.Length;
    }

    /// <summary>Whether the pattern token at <paramref name="pi"/> (a literal, an escape, <c>?</c> or a class)
    /// matches <paramref name="c"/>; the index after the token, or null.</summary>
    private static int? MatchOne(ReadOnlySpan<char> p, int pi, char c)
    {
        switch (p[pi])
        {
            case '?':
                return pi + 1;
            case '\\' when pi + 1 < p.Length:
                return p[pi + 1] == c ? pi + 2 : null;
            case '[':
            {
                int end = p[(pi + 1)..].IndexOf(']');
                if (end < 0) return null;
                end += pi + 1;
                var set = p[(pi + 1)..end];
                bool negate = set.Length > 0 && set[0] is '^' or '!';
                if (negate) set = set[1..];
                bool hit = false;
                for (int i = 0; i < set.Length; i++)
                {
                    if (i + 2 < set.Length && set[i + 1] == '-') { hit |= c >= set[i] && c <= set[i + 2]; i += 2; }
                    else hit |= c == set[i];
                }
                return hit != negate ? end + 1 : null;
            }
            default:
                return p[pi] == c ? pi + 1 : null;
        }
    }
}
