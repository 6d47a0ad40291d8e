using System.Text;
using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Parser;

/// <summary>
/// Recognises heredoc openers (<c>&lt;&lt;EOF</c>, <c>&lt;&lt;-EOF</c>, <c>2&lt;&lt;EOF</c>, quoted names) as BuildKit
/// does: the line is split into shell words, and each word matching <c>^(\d*)&lt;&lt;(-?)\s*([^&lt;]*)$</c> whose
/// remainder is a single word opens one heredoc.
/// </summary>
public static class HeredocParser
{
    private static readonly ShellLexer LineLexer = new('\\') { RawQuotes = true, RawEscapes = true, SkipUnsetEnv = true };
    private static readonly ShellLexer NameLexer = new('\\') { SkipUnsetEnv = true };
    private static readonly ShellLexer RawNameLexer = new('\\') { SkipUnsetEnv = true, RawQuotes = true };

    /// <summary>True when <paramref name="word"/> is a heredoc opener (used by COPY/ADD to tell sources apart).</summary>
    public static bool IsHeredoc(string word)
    {
        try
        {
            return Parse(word) is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The heredoc name in <paramref name="word"/>, or null when it is not an opener.</summary>
    public static string? NameOf(string word)
    {
        try
        {
            return Parse(word)?.Name;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Removes leading tabs from every line (the <c>&lt;&lt;-</c> form).</summary>
    public static string ChompContent(string content)
    {
        var sb = new StringBuilder(content.Length);
        var atLineStart = true;
        foreach (var c in content)
        {
            if (atLineStart && c == '\t')
            {
                continue;
            }
            atLineStart = c == '\n';
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Like <see cref="Parse"/> but a malformed name is "not a heredoc" (BuildKit's MustParseHeredoc).</summary>
    internal static HeredocStart? TryParse(string word)
    {
        try
        {
            return Parse(word);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static IReadOnlyList<HeredocStart> FromLine(string line)
    {
        IReadOnlyList<string> words;
        try
        {
            words = LineLexer.ProcessWords(line, VariableScope.Empty).Words;
        }
        catch (ShellExpansionException)
        {
            // BuildKit ignores a line it cannot split: such a line opens no heredoc.
            return [];
        }
        var docs = new List<HeredocStart>();
        foreach (var w in words)
        {
            try
            {
                if (Parse(w) is { } h)
                {
                    docs.Add(h);
                }
            }
            catch (FormatException e)
            {
                throw new SyntaxError(e.Message);
            }
        }
        return docs;
    }

    /// <summary>
    /// The heredoc opened by one shell word (<c>&lt;&lt;EOF</c>, <c>2&lt;&lt;-'EOF'</c>), or null when the word is not an
    /// opener.
    /// </summary>
    /// <exception cref="FormatException">The name is malformed, for example an unbalanced quote.</exception>
    public static HeredocStart? Parse(string src)
    {
        var i = 0;
        while (i < src.Length && char.IsAsciiDigit(src[i]))
        {
            i++;
        }
        var digits = src[..i];
        if (!src.AsSpan(i).StartsWith("<<"))
        {
            return null;
        }
        i += 2;
        var chomp = false;
        if (i < src.Length && src[i] == '-')
        {
            chomp = true;
            i++;
        }
        while (i < src.Length && src[i] is ' ' or '\t' or '\n' or '\f' or '\r')
        {
            i++;
        }
        var rest = src[i..];
        if (rest.Contains('<') || rest.Length == 0)
        {
            return null;
        }
        _ = int.TryParse(digits, out var fd);

        IReadOnlyList<string> words, wordsRaw;
        try
        {
            words = NameLexer.ProcessWords(rest, VariableScope.Empty).Words;
            if (words.Count != 1)
            {
                return null;
            }
            wordsRaw = RawNameLexer.ProcessWords(rest, VariableScope.Empty).Words;
        }
        catch (ShellExpansionException e)
        {
            throw new FormatException(e.Message, e);
        }
        if (wordsRaw.Count != words.Count)
        {
            throw new FormatException($"internal lexing of heredoc produced inconsistent results: {rest}");
        }
        // Quotes visible only in the raw lexing mean part of the name was quoted: the body is not expanded.
        var expand = CountQuotes(words[0]) == CountQuotes(wordsRaw[0]);
        return new HeredocStart(words[0], fd, expand, chomp);
    }

    private static int CountQuotes(string s) => s.Count(c => c is '\'' or '"');
}
