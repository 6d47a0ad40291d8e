using System.Text;
using System.Text.Json;

namespace Berth.Dockerfile.Parser;

/// <summary>
/// How each instruction's argument text becomes argument nodes (BuildKit's <c>line_parsers.go</c>). The argument
/// text has had its flags removed and is trimmed.
/// </summary>
internal static class LineParsers
{
    public const string NotStringArray = "when using JSON array syntax, arrays must be comprised of strings only";

    /// <summary>Go's <c>[\t\v\f\r ]</c>, the separator of instruction words.</summary>
    public static bool IsAsciiBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    private static bool IsSpace(char c) => char.IsWhiteSpace(c);

    /// <summary>
    /// Reads leading <c>--flag</c> words, removing quotes and escapes inside them. A lone <c>--</c> ends the flags.
    /// </summary>
    public static (string Remainder, IReadOnlyList<string> Flags) ExtractBuilderFlags(string line, char escape)
    {
        const int inSpaces = 0, inWord = 1, inQuote = 2;
        var words = new List<string>();
        var phase = inSpaces;
        var word = new StringBuilder();
        var quote = '\0';
        var blankOk = false;
        var ch = '\0';

        for (var pos = 0; pos <= line.Length; pos++)
        {
            if (pos != line.Length)
            {
                ch = line[pos];
            }
            if (phase == inSpaces)
            {
                if (pos == line.Length)
                {
                    break;
                }
                if (IsSpace(ch))
                {
                    continue;
                }
                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-')
                {
                    return (line[pos..], words);
                }
                phase = inWord;
            }
            if (phase is inWord or inQuote && pos == line.Length)
            {
                if (word.ToString() != "--" && (blankOk || word.Length > 0))
                {
                    words.Add(word.ToString());
                }
                break;
            }
            if (phase == inWord)
            {
                if (IsSpace(ch))
                {
                    phase = inSpaces;
                    if (word.ToString() == "--")
                    {
                        return (line[pos..], words);
                    }
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = inQuote;
                    continue;
                }
                if (ch == escape)
                {
                    if (pos + 1 == line.Length)
                    {
                        continue;
                    }
                    pos++;
                    ch = line[pos];
                }
                word.Append(ch);
                continue;
            }
            if (phase == inQuote)
            {
                if (ch == quote)
                {
                    phase = inWord;
                    continue;
                }
                if (ch == escape)
                {
                    if (pos + 1 == line.Length)
                    {
                        phase = inWord;
                        continue;
                    }
                    pos++;
                    ch = line[pos];
                }
                word.Append(ch);
            }
        }
        return ("", words);
    }

    public static Node? ParseSubCommand(string rest, char escape)
    {
        if (rest.Length == 0)
        {
            return null;
        }
        var child = DockerfileParser.NewNodeFromLine(rest, escape, []);
        return new Node { Children = [child] };
    }

    /// <summary>
    /// Splits at whitespace outside quotes. Quotes stay in the words; the escape token and the character after it
    /// are kept as a pair (outside quotes and inside double quotes), and one at the very end is dropped.
    /// </summary>
    public static List<string> ParseWords(string rest, char escape)
    {
        const int inSpaces = 0, inWord = 1, inQuote = 2;
        var words = new List<string>();
        var phase = inSpaces;
        var word = new StringBuilder();
        var quote = '\0';
        var blankOk = false;
        var ch = '\0';

        for (var pos = 0; pos <= rest.Length; pos++)
        {
            if (pos != rest.Length)
            {
                ch = rest[pos];
            }
            if (phase == inSpaces)
            {
                if (pos == rest.Length)
                {
                    break;
                }
                if (IsSpace(ch))
                {
                    continue;
                }
                phase = inWord;
            }
            if (phase is inWord or inQuote && pos == rest.Length)
            {
                if (blankOk || word.Length > 0)
                {
                    words.Add(word.ToString());
                }
                break;
            }
            if (phase == inWord)
            {
                if (IsSpace(ch))
                {
                    phase = inSpaces;
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = inQuote;
                }
                if (ch == escape)
                {
                    if (pos + 1 == rest.Length)
                    {
                        continue;
                    }
                    word.Append(ch);
                    pos++;
                    ch = rest[pos];
                }
                word.Append(ch);
                continue;
            }
            if (phase == inQuote)
            {
                if (ch == quote)
                {
                    phase = inWord;
                }
                if (ch == escape && quote != '\'')
                {
                    if (pos + 1 == rest.Length)
                    {
                        phase = inWord;
                        continue;
                    }
                    pos++;
                    word.Append(ch);
                    ch = rest[pos];
                }
                word.Append(ch);
            }
        }
        return words;
    }

    /// <summary>ENV and LABEL: <c>KEY name value</c> (old form) or <c>KEY a=1 b=2</c>.</summary>
    public static Node? ParseNameVal(string rest, string key, char escape)
    {
        var words = ParseWords(rest, escape);
        if (words.Count == 0)
        {
            return null;
        }
        if (!words[0].Contains('='))
        {
            var parts = SplitOnceAsciiBlank(rest);
            if (parts.Length < 2)
            {
                throw new SyntaxError($"{key} must have two arguments");
            }
            return KeyValue(parts[0], parts[1], "");
        }
        Node? root = null;
        Node? last = null;
        foreach (var w in words)
        {
            var eq = w.IndexOf('=');
            if (eq < 0)
            {
                throw new SyntaxError($"Syntax error - can't find = in \"{w}\". Must be of the form: name=value");
            }
            var node = KeyValue(w[..eq], w[(eq + 1)..], "=");
            if (root is null)
            {
                root = node;
            }
            else
            {
                last!.Next = node;
            }
            last = node.Next!.Next;
        }
        return root;
    }

    private static Node KeyValue(string key, string value, string sep) =>
        new() { Value = key, Next = new Node { Value = value, Next = new Node { Value = sep } } };

    private static string[] SplitOnceAsciiBlank(string s)
    {
        var i = 0;
        while (i < s.Length && !IsAsciiBlank(s[i]))
        {
            i++;
        }
        if (i == s.Length)
        {
            return [s];
        }
        var j = i;
        while (j < s.Length && IsAsciiBlank(s[j]))
        {
            j++;
        }
        return [s[..i], s[j..]];
    }

    /// <summary>ARG: one node per quote-aware word.</summary>
    public static Node? ParseNameOrNameVal(string rest, char escape) => Chain(ParseWords(rest, escape));

    public static Node? ParseStringsWhitespaceDelimited(string rest)
    {
        if (rest.Length == 0)
        {
            return null;
        }
        var parts = new List<string>();
        var i = 0;
        var start = 0;
        while (i <= rest.Length)
        {
            if (i == rest.Length || IsAsciiBlank(rest[i]))
            {
                parts.Add(rest[start..i]);
                while (i < rest.Length && IsAsciiBlank(rest[i]))
                {
                    i++;
                }
                start = i;
                if (i == rest.Length)
                {
                    break;
                }
            }
            else
            {
                i++;
            }
        }
        return Chain(parts);
    }

    public static Node? ParseString(string rest) => rest.Length == 0 ? null : new Node { Value = rest };

    private static Node? Chain(IReadOnlyList<string> values)
    {
        Node? root = null;
        Node? last = null;
        foreach (var v in values)
        {
            var n = new Node { Value = v };
            if (root is null)
            {
                root = n;
            }
            else
            {
                last!.Next = n;
            }
            last = n;
        }
        return root;
    }

    /// <summary>
    /// A JSON array of strings, or null when the text is not one valid JSON array (then the caller falls back to
    /// shell form). A valid array holding a non-string is an error.
    /// </summary>
    private static List<string>? TryParseJsonArray(string rest)
    {
        rest = rest.TrimStart();
        if (!rest.StartsWith('['))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(rest, new JsonDocumentOptions { MaxDepth = 10_000 });
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var values = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    throw new SyntaxError(NotStringArray);
                }
                values.Add(e.GetString()!);
            }
            return values;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A string with an unpaired surrogate escape cannot become a .NET string; treat as not JSON.
            return null;
        }
    }

    /// <summary>RUN, CMD, ENTRYPOINT, SHELL: JSON array, or the whole text as one node.</summary>
    public static (Node? Next, bool Json) ParseMaybeJson(string rest)
    {
        if (rest.Length == 0)
        {
            return (null, false);
        }
        var json = TryParseJsonArray(rest);
        return json is not null ? (Chain(json), true) : (new Node { Value = rest }, false);
    }

    /// <summary>ADD, COPY, VOLUME: JSON array, or words split on blanks.</summary>
    public static (Node? Next, bool Json) ParseMaybeJsonToList(string rest)
    {
        var json = TryParseJsonArray(rest);
        return json is not null ? (Chain(json), true) : (ParseStringsWhitespaceDelimited(rest), false);
    }

    /// <summary>HEALTHCHECK: a type word (CMD, NONE) then a CMD-like remainder.</summary>
    public static (Node? Next, bool Json) ParseHealthConfig(string rest)
    {
        var sep = 0;
        while (sep < rest.Length && !IsSpace(rest[sep]))
        {
            sep++;
        }
        var next = sep;
        while (next < rest.Length && IsSpace(rest[next]))
        {
            next++;
        }
        if (sep == 0)
        {
            return (null, false);
        }
        var (cmd, json) = ParseMaybeJson(rest[next..]);
        return (new Node { Value = rest[..sep], Next = cmd }, json);
    }
}
