namespace Berth.Dockerfile.Parser;

/// <summary>
/// A parsed Dockerfile: the AST, the directives, warnings, and the physical lines (kept so later stages can quote
/// the offending line in a <see cref="DockerfileParseException"/>).
/// </summary>
public sealed class ParseResult
{
    internal ParseResult(Node root, ParserDirectives directives, IReadOnlyList<ParseWarning> warnings, string file, IReadOnlyList<string> lines)
    {
        Root = root;
        Directives = directives;
        Warnings = warnings;
        File = file;
        Lines = lines;
    }

    public Node Root { get; }

    public ParserDirectives Directives { get; }

    public char EscapeToken => Directives.EscapeToken;

    public IReadOnlyList<ParseWarning> Warnings { get; }

    /// <summary>The file name used in error messages.</summary>
    public string File { get; }

    /// <summary>Physical lines without terminators; index 0 is line 1.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>The text of 1-based <paramref name="line"/>, or null when out of range.</summary>
    public string? LineText(int line) => line >= 1 && line <= Lines.Count ? Lines[line - 1] : null;

    /// <summary>An error located at <paramref name="node"/>'s first line and first non-blank column.</summary>
    public DockerfileParseException Error(Node node, string reason, Exception? inner = null)
    {
        var text = LineText(node.StartLine);
        var column = 1;
        if (text is not null)
        {
            column = text.Length - text.TrimStart().Length + 1;
        }
        return new DockerfileParseException(reason, File, Math.Max(1, node.StartLine), column, text, inner);
    }
}
