namespace Berth.Build.Cache;

/// <summary>Go's <c>filepath.Match</c> for one path segment (<c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>[^x]</c>, <c>\</c>),
/// as COPY sources use it.</summary>
public static class Globs
{
    public static bool HasMeta(string s) => s.AsSpan().IndexOfAny("*?[\\") >= 0;

    public static bool Match(string pattern, string name) => Match(pattern.AsSpan(), name.AsSpan());

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> n)
    {
        while (p.Length > 0)
        {
            switch (p[0])
            {
                case '*':
                    p = p[1..];
                    if (p.Length == 0) return true;
                    for (int i = 0; i <= n.Length; i++)
                        if (Match(p, n[i..])) return true;
                    return false;
                case '?':
                    if (n.Length == 0) return false;
                    p = p[1..];
                    n = n[1..];
                    break;
                case '[':
                {
                    if (n.Length == 0) return false;
                    int end = p.IndexOf(']');
                    if (end < 0) return false;
                    var set = p[1..end];
                    bool negate = set.Length > 0 && set[0] is '^' or '!';
                    if (negate) set = set[1..];
                    bool hit = false;
                    for (int i = 0; i < set.Length; i++)
                    {
                        if (i + 2 < set.Length && set[i + 1] == '-') { hit |= n[0] >= set[i] && n[0] <= set[i + 2]; i += 2; }
                        else hit |= n[0] == set[i];
                    }
                    if (hit == negate) return false;
                    p = p[(end + 1)..];
                    n = n[1..];
                    break;
                }
                case '\\' when p.Length > 1:
                    if (n.Length == 0 || n[0] != p[1]) return false;
                    p = p[2..];
                    n = n[1..];
                    break;
                default:
                    if (n.Length == 0 || n[0] != p[0]) return false;
                    p = p[1..];
                    n = n[1..];
                    break;
            }
        }
        return n.Length == 0;
    }
}
