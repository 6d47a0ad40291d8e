using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Dockerfile.Shell;

/// <summary>
/// Shell patterns (<c>*</c>, <c>?</c>, <c>\</c> escapes) for <c>${a#p}</c>, <c>${a%p}</c> and <c>${a/p/r}</c>,
/// translated to a regular expression as BuildKit does. Suffix removal reverses the value and the pattern so the
/// shortest rightmost match becomes a leftmost one.
/// </summary>
internal static class ShellPattern
{
    // '.' on its own would match half of a surrogate pair; '?' is one code point.
    private const string AnyRune = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|.)";

    public static string TrimPrefix(string pattern, string value, bool greedy)
    {
        var re = ToRegex(pattern, greedy, anchored: true);
        var m = re.Match(value);
        return m.Success ? value[(m.Index + m.Length)..] : value;
    }

    public static string TrimSuffix(string pattern, string value, bool greedy)
    {
        var trimmed = TrimPrefix(ReversePattern(pattern), Reverse(value), greedy);
        return Reverse(trimmed);
    }

    public static string Replace(string pattern, string value, string replacement, bool all)
    {
        var re = ToRegex(pattern, greedy: true, anchored: false);
        // Compat: Go's ReplaceAllString would expand "$1" in the replacement; a Dockerfile cannot write a capture
        // group (the pattern has none), so the replacement is taken literally.
        return all ? re.Replace(value, _ => replacement) : re.Replace(value, _ => replacement, 1);
    }

    private static Regex ToRegex(string pattern, bool greedy, bool anchored)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        if (anchored)
        {
            sb.Append('^');
        }
        var star = greedy ? AnyRune + "*" : AnyRune + "*?";
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append(star);
                    break;
                case '?':
                    sb.Append(AnyRune);
                    break;
                case '\\':
                    // "}" and "/" had to be escaped inside ${}, but the escape is not part of the pattern.
                    if (i + 1 < pattern.Length && pattern[i + 1] is '}' or '/')
                    {
                        break;
                    }
                    i++;
                    if (i >= pattern.Length || pattern[i] is not ('*' or '?' or '\\'))
                    {
                        var bad = i >= pattern.Length ? "" : pattern[i].ToString();
                        throw new ShellExpansionException($"invalid pattern ({pattern}) in substitution: invalid escape '\\{bad}'");
                    }
                    sb.Append('\\').Append(pattern[i]);
                    break;
                case '[' or ']' or '{' or '}' or '.' or '+' or '(' or ')' or '|' or '^' or '$' or '#' or ' ' or '\t' or '\n' or '\r' or '\f' or '\v':
                    sb.Append('\\').Append(c);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant);
    }

    // Reverses a pattern keeping "\x" escape pairs in order, so "\*" stays an escaped star.
    private static string ReversePattern(string pattern)
    {
        var tokens = new List<string>();
        for (var i = 0; i < pattern.Length;)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                tokens.Add(pattern.Substring(i, 2));
                i += 2;
            }
            else if (char.IsHighSurrogate(pattern[i]) && i + 1 < pattern.Length && char.IsLowSurrogate(pattern[i + 1]))
            {
                tokens.Add(pattern.Substring(i, 2));
                i += 2;
            }
            else
            {
                tokens.Add(pattern[i].ToString());
                i++;
            }
        }
        tokens.Reverse();
        return string.Concat(tokens);
    }

    private static string Reverse(string s)
    {
        var runes = s.EnumerateRunes().ToArray();
        Array.Reverse(runes);
        var sb = new StringBuilder(s.Length);
        foreach (var r in runes)
        {
            sb.Append(r);
        }
        return sb.ToString();
    }
}
