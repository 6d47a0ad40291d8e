namespace Berth.Dockerfile.Ignore;

/// <summary>Go's <c>path/filepath</c> on Unix: <c>Clean</c>, <c>Dir</c>, and <c>Match</c> (used to validate patterns).</summary>
internal static class GoPath
{
    /// <summary>Lexical cleaning: collapses "//", removes "." and resolves ".." (filepath.Clean).</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (parts.Count > 0 && parts[^1] != "..")
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }
                    else if (!rooted)
                    {
                        parts.Add("..");
                    }
                    continue;
                default:
                    parts.Add(part);
                    continue;
            }
        }
        var joined = string.Join('/', parts);
        if (rooted)
        {
            return "/" + joined;
        }
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>All but the last element, cleaned (filepath.Dir).</summary>
    public static string Dir(string path)
    {
        var i = path.LastIndexOf('/');
        return Clean(i < 0 ? "" : path[..(i + 1)]);
    }

    /// <summary>
    /// filepath.Match: true when <paramref name="name"/> matches; throws on a malformed pattern even when the name
    /// does not match, as Go checks the rest of the pattern before answering false.
    /// </summary>
    /// <exception cref="FormatException">The pattern is malformed.</exception>
    public static bool Match(string pattern, string name)
    {
        while (pattern.Length > 0)
        {
            var (star, chunk, rest) = ScanChunk(pattern);
            pattern = rest;
            if (star && chunk.Length == 0)
            {
                return !name.Contains('/');
            }
            var (t, ok) = MatchChunk(chunk, name);
            if (ok && (t.Length == 0 || pattern.Length > 0))
            {
                name = t;
                continue;
            }
            var matched = false;
            if (star)
            {
                for (var i = 0; i < name.Length && name[i] != '/'; i++)
                {
                    (t, ok) = MatchChunk(chunk, name[(i + 1)..]);
                    if (ok)
                    {
                        if (pattern.Length == 0 && t.Length > 0)
                        {
                            continue;
                        }
                        name = t;
                        matched = true;
                        break;
                    }
                }
            }
            if (matched)
            {
                continue;
            }
            while (pattern.Length > 0)
            {
                (_, chunk, pattern) = ScanChunk(pattern);
                MatchChunk(chunk, "");
            }
            return false;
        }
        return name.Length == 0;
    }

    private static (bool Star, string Chunk, string Remainder) ScanChunk(string pattern)
    {
        var star = false;
        while (pattern.Length > 0 && pattern[0] == '*')
        {
            pattern = pattern[1..];
            star = true;
        }
        var inRange = false;
        int i;
        for (i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 < pattern.Length)
                {
                    i++;
                }
            }
            else if (c == '[')
            {
                inRange = true;
            }
            else if (c == ']')
            {
                inRange = false;
            }
            else if (c == '*' && !inRange)
            {
                break;
            }
        }
        return (star, pattern[..i], pattern[i..]);
    }

    // Runs the whole chunk even after a mismatch so a malformed tail is still reported.
    private static (string Remainder, bool Ok) MatchChunk(string chunk, string s)
    {
        var failed = false;
        var ci = 0;
        var si = 0;
        while (ci < chunk.Length)
        {
            if (!failed && si >= s.Length)
            {
                failed = true;
            }
            switch (chunk[ci])
            {
                case '[':
                    {
                        var r = 0;
                        if (!failed)
                        {
                            r = CodePointAt(s, si, out var n);
                            si += n;
                        }
                        ci++;
                        var negated = false;
                        if (ci < chunk.Length && chunk[ci] == '^')
                        {
                            negated = true;
                            ci++;
                        }
                        var match = false;
                        var nrange = 0;
                        while (true)
                        {
                            if (ci < chunk.Length && chunk[ci] == ']' && nrange > 0)
                            {
                                ci++;
                                break;
                            }
                            var lo = GetEsc(chunk, ref ci);
                            var hi = lo;
                            if (chunk[ci] == '-')
                            {
                                ci++;
                                hi = GetEsc(chunk, ref ci);
                            }
                            if (lo <= r && r <= hi)
                            {
                                match = true;
                            }
                            nrange++;
                        }
                        if (match == negated)
                        {
                            failed = true;
                        }
                        break;
                    }
                case '?':
                    if (!failed)
                    {
                        if (s[si] == '/')
                        {
                            failed = true;
                        }
                        CodePointAt(s, si, out var n);
                        si += n;
                    }
                    ci++;
                    break;
                case '\\':
                    ci++;
                    if (ci >= chunk.Length)
                    {
                        throw new FormatException("syntax error in pattern");
                    }
                    goto default;
                default:
                    if (!failed)
                    {
                        if (chunk[ci] != s[si])
                        {
                            failed = true;
                        }
                        si++;
                    }
                    ci++;
                    break;
            }
        }
        return failed ? ("", false) : (s[si..], true);
    }

    private static int GetEsc(string chunk, ref int ci)
    {
        if (ci >= chunk.Length || chunk[ci] is '-' or ']')
        {
            throw new FormatException("syntax error in pattern");
        }
        if (chunk[ci] == '\\')
        {
            ci++;
            if (ci >= chunk.Length)
            {
                throw new FormatException("syntax error in pattern");
            }
        }
        var r = CodePointAt(chunk, ci, out var n);
        ci += n;
        if (ci >= chunk.Length)
        {
            throw new FormatException("syntax error in pattern");
        }
        return r;
    }

    // Go walks runes: '?' and a class consume one code point, a surrogate pair included.
    private static int CodePointAt(string s, int index, out int used)
    {
        if (char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            used = 2;
            return char.ConvertToUtf32(s[index], s[index + 1]);
        }
        used = 1;
        return s[index];
    }
}
