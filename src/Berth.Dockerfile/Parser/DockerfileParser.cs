using System.Text;

namespace Berth.Dockerfile.Parser;

/// <summary>
/// Turns Dockerfile text into an AST, following BuildKit's <c>frontend/dockerfile/parser</c>: parser directives at
/// the top, line continuations with the escape token (comments and blank lines allowed inside), JSON and shell
/// forms, <c>--flags</c>, heredocs, ONBUILD triggers. Instruction keywords are not validated here (an unknown one
/// parses); <see cref="Instructions.InstructionParser"/> does that. The golden tests are
/// <c>tests/conformance/dockerfile-parser</c>.
/// </summary>
public static class DockerfileParser
{
    /// <summary>Go's bufio.Scanner default token limit, which BuildKit inherits.</summary>
    private const int MaxLineBytes = 64 * 1024;

    /// <summary>Parses UTF-8 bytes (invalid sequences become U+FFFD, a BOM is dropped).</summary>
    /// <exception cref="DockerfileParseException">The text is not a valid Dockerfile.</exception>
    public static ParseResult Parse(ReadOnlySpan<byte> utf8, string file = "Dockerfile") =>
        Parse(Encoding.UTF8.GetString(utf8), file);

    /// <summary>Parses Dockerfile text.</summary>
    /// <exception cref="DockerfileParseException">The text is not a valid Dockerfile.</exception>
    public static ParseResult Parse(string text, string file = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var raw = SplitLines(text);
        var display = new List<string>(raw.Count);
        foreach (var l in raw)
        {
            display.Add(TrimNewline(l));
        }
        if (display.Count > 0 && display[0].StartsWith('\uFEFF'))
        {
            display[0] = display[0][1..];
        }

        var d = new DirectiveState();
        var children = new List<Node>();
        var warnings = new List<ParseWarning>();
        var comments = new List<string>();
        var idx = 0;
        var currentLine = 0;

        DockerfileParseException Fail(string reason, int line, Exception? inner = null)
        {
            var lineNo = Math.Max(1, line);
            var text = lineNo <= display.Count ? display[lineNo - 1] : null;
            var column = text is null ? 1 : text.Length - text.TrimStart().Length + 1;
            return new DockerfileParseException(reason, file, lineNo, column, text, inner);
        }

        string ReadLine()
        {
            var l = raw[idx++];
            if (Encoding.UTF8.GetByteCount(l) > MaxLineBytes)
            {
                throw Fail($"dockerfile line greater than max allowed size of {MaxLineBytes - 1}", idx);
            }
            return l;
        }

        while (idx < raw.Count)
        {
            var bytesRead = ReadLine();
            if (currentLine == 0 && bytesRead.StartsWith('\uFEFF'))
            {
                bytesRead = bytesRead[1..];
            }
            if (IsComment(bytesRead))
            {
                var comment = bytesRead[1..].Trim();
                if (comment.Length == 0)
                {
                    comments.Clear();
                }
                else
                {
                    comments.Add(comment);
                }
            }
            string processed;
            try
            {
                processed = ProcessLine(d, bytesRead, stripLeftWhitespace: true);
            }
            catch (SyntaxError e)
            {
                throw Fail(e.Message, currentLine + 1, e);
            }
            currentLine++;

            var startLine = currentLine;
            var (line, isEndOfLine) = TrimContinuation(processed, d.EscapeToken);
            if (isEndOfLine && line.Length == 0)
            {
                continue;
            }

            var hasEmptyContinuationLine = false;
            var logical = new StringBuilder(line);
            while (!isEndOfLine && idx < raw.Count)
            {
                var next = ReadLine();
                string cont;
                try
                {
                    cont = ProcessLine(d, next, stripLeftWhitespace: false);
                }
                catch (SyntaxError e)
                {
                    throw Fail(e.Message, currentLine + 1, e);
                }
                currentLine++;
                if (IsComment(next))
                {
                    continue;
                }
                if (TrimNewline(cont).TrimStart().Length == 0)
                {
                    hasEmptyContinuationLine = true;
                    continue;
                }
                (cont, isEndOfLine) = TrimContinuation(cont, d.EscapeToken);
                logical.Append(cont);
            }
            line = logical.ToString();

            if (hasEmptyContinuationLine)
            {
                warnings.Add(new ParseWarning(
                    "Empty continuation line found in: " + line,
                    "Empty continuation lines will become errors in a future release",
                    currentLine));
            }

            Node child;
            try
            {
                child = NewNodeFromLine(line, d.EscapeToken, [.. comments]);
            }
            catch (SyntaxError e)
            {
                throw Fail(e.Message, startLine, e);
            }

            if (CanContainHeredoc(child) && line.Contains("<<", StringComparison.Ordinal))
            {
                IReadOnlyList<HeredocStart> starts;
                try
                {
                    starts = HeredocParser.FromLine(line);
                }
                catch (SyntaxError e)
                {
                    throw Fail(e.Message, startLine, e);
                }
                var docs = new List<Heredoc>(starts.Count);
                foreach (var start in starts)
                {
                    var content = new StringBuilder();
                    var terminated = false;
                    while (idx < raw.Count)
                    {
                        var bodyLine = ReadLine();
                        currentLine++;
                        var possibleTerminator = TrimNewline(bodyLine);
                        if (start.Chomp)
                        {
                            possibleTerminator = possibleTerminator.TrimStart('\t');
                        }
                        if (possibleTerminator == start.Name)
                        {
                            terminated = true;
                            break;
                        }
                        content.Append(bodyLine);
                    }
                    if (!terminated)
                    {
                        throw Fail("unterminated heredoc", startLine);
                    }
                    docs.Add(new Heredoc(start.Name, start.FileDescriptor, start.Expand, start.Chomp, content.ToString()));
                }
                child.Heredocs = docs;
            }

            child.StartLine = startLine;
            child.EndLine = currentLine;
            children.Add(child);
            comments.Clear();
        }

        if (children.Count == 0)
        {
            throw Fail("file with no instructions", currentLine);
        }

        var root = new Node
        {
            Children = children,
            StartLine = children[0].StartLine,
            EndLine = children[^1].EndLine,
        };
        var directives = new ParserDirectives(d.Syntax, d.EscapeToken, d.Check);
        return new ParseResult(root, directives, warnings, file, display);
    }

    // Split after each '\n', keeping terminators: heredoc bodies keep their line endings.
    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0)
            {
                lines.Add(text[start..]);
                break;
            }
            lines.Add(text[start..(nl + 1)]);
            start = nl + 1;
        }
        return lines;
    }

    internal static string TrimNewline(string s) => s.TrimEnd('\r', '\n');

    private static bool IsComment(string line) => TrimNewline(line).TrimStart().StartsWith('#');

    private static string ProcessLine(DirectiveState d, string token, bool stripLeftWhitespace)
    {
        token = TrimNewline(token);
        if (stripLeftWhitespace)
        {
            token = token.TrimStart();
        }
        d.PossibleDirective(token);
        return token.StartsWith('#') ? "" : token;
    }

    // A line continues when it ends with the escape token (blanks after it allowed) not itself escaped, or is
    // only the escape token. The token and the blanks go; the preceding character stays.
    private static (string Line, bool IsEndOfLine) TrimContinuation(string line, char escape)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t')
        {
            end--;
        }
        if (end == 0 || line[end - 1] != escape)
        {
            return (line, true);
        }
        if (end == 1)
        {
            return ("", false);
        }
        if (line[end - 2] == escape)
        {
            return (line, true);
        }
        return (line[..(end - 1)], false);
    }

    internal static Node NewNodeFromLine(string line, char escape, IReadOnlyList<string> comments)
    {
        var (cmd, flags, args) = SplitCommand(line, escape);
        var (next, json) = cmd.ToLowerInvariant() switch
        {
            "add" or "copy" or "volume" => LineParsers.ParseMaybeJsonToList(args),
            "arg" => (LineParsers.ParseNameOrNameVal(args, escape), false),
            "cmd" or "entrypoint" or "run" or "shell" => LineParsers.ParseMaybeJson(args),
            "env" => (LineParsers.ParseNameVal(args, "ENV", escape), false),
            "label" => (LineParsers.ParseNameVal(args, "LABEL", escape), false),
            "expose" or "from" => (LineParsers.ParseStringsWhitespaceDelimited(args), false),
            "healthcheck" => LineParsers.ParseHealthConfig(args),
            "maintainer" or "stopsignal" or "user" or "workdir" => (LineParsers.ParseString(args), false),
            "onbuild" => (LineParsers.ParseSubCommand(args, escape), false),
            _ => (new Node(), false),
        };
        return new Node
        {
            Value = cmd,
            Original = line,
            Flags = flags,
            Next = next,
            IsJson = json,
            PrevComments = comments,
        };
    }

    private static (string Cmd, IReadOnlyList<string> Flags, string Args) SplitCommand(string line, char escape)
    {
        var trimmed = line.Trim();
        var split = 0;
        while (split < trimmed.Length && !LineParsers.IsAsciiBlank(trimmed[split]))
        {
            split++;
        }
        if (split == trimmed.Length)
        {
            return (trimmed, [], "");
        }
        var cmd = trimmed[..split];
        var restStart = split;
        while (restStart < trimmed.Length && LineParsers.IsAsciiBlank(trimmed[restStart]))
        {
            restStart++;
        }
        var (args, flags) = LineParsers.ExtractBuilderFlags(trimmed[restStart..], escape);
        return (cmd, flags, args.Trim());
    }

    private static bool CanContainHeredoc(Node node)
    {
        if (node.Value.Equals("onbuild", StringComparison.OrdinalIgnoreCase) && node.Next is { Children.Count: > 0 } n)
        {
            node = n.Children[0];
        }
        var v = node.Value.ToLowerInvariant();
        return v is "add" or "copy" or "run" && !node.IsJson;
    }

    /// <summary>Reads parser directives until the first line that is not one.</summary>
    private sealed class DirectiveState
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private bool _done;

        public char EscapeToken { get; private set; } = '\\';

        public string? Syntax { get; private set; }

        public string? Check { get; private set; }

        public void PossibleDirective(string line)
        {
            if (_done)
            {
                return;
            }
            if (!TryMatch(line, out var name, out var value))
            {
                _done = true;
                return;
            }
            var k = name.ToLowerInvariant();
            if (k is not ("syntax" or "escape" or "check"))
            {
                _done = true;
                return;
            }
            if (!_seen.Add(k))
            {
                throw new SyntaxError($"only one {k} parser directive can be used");
            }
            switch (k)
            {
                case "escape":
                    if (value is not ("`" or "\\"))
                    {
                        throw new SyntaxError($"invalid escape token '{value}' does not match ` or \\");
                    }
                    EscapeToken = value[0];
                    break;
                case "syntax":
                    Syntax = value;
                    break;
                default:
                    Check = value;
                    break;
            }
        }

        // ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with Go's ASCII \s.
        private static bool TryMatch(string line, out string name, out string value)
        {
            name = value = "";
            if (!line.StartsWith('#'))
            {
                return false;
            }
            var i = 1;
            while (i < line.Length && IsGoSpace(line[i]))
            {
                i++;
            }
            var nameStart = i;
            if (i >= line.Length || !char.IsAsciiLetter(line[i]))
            {
                return false;
            }
            while (i < line.Length && char.IsAsciiLetterOrDigit(line[i]))
            {
                i++;
            }
            name = line[nameStart..i];
            while (i < line.Length && IsGoSpace(line[i]))
            {
                i++;
            }
            if (i >= line.Length || line[i] != '=')
            {
                return false;
            }
            i++;
            while (i < line.Length && IsGoSpace(line[i]))
            {
                i++;
            }
            var end = line.Length;
            while (end > i && IsGoSpace(line[end - 1]))
            {
                end--;
            }
            if (end <= i)
            {
                // Go's lazy (.+?) still takes one character when only blanks follow the '='.
                if (i >= line.Length)
                {
                    return false;
                }
                value = line[^1..];
                return true;
            }
            value = line[i..end];
            return true;
        }

        private static bool IsGoSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';
    }
}
