namespace Berth.Dockerfile;

/// <summary>
/// A Dockerfile could not be parsed or an instruction in it is invalid. Carries where: the file, the 1-based line
/// and column, and the text of the offending line, so the message reads like a compiler diagnostic
/// (<c>Dockerfile:3:1: unknown instruction: FORM</c>). The CLI maps it to exit code 1 (DESIGN.md, ErrorKind
/// InvalidArgument); this project stays pure and so does not derive from <c>BerthException</c>.
/// </summary>
public sealed class DockerfileParseException : Exception
{
    public DockerfileParseException(string reason, string file, int line, int column, string? lineText, Exception? inner = null)
        : base(Format(reason, file, line, column, lineText), inner)
    {
        Reason = reason;
        File = file;
        Line = line;
        Column = column;
        LineText = lineText;
    }

    /// <summary>What is wrong, without the location (<c>unknown instruction: FORM</c>).</summary>
    public string Reason { get; }

    /// <summary>The file name as given to the parser (<c>Dockerfile</c> unless the caller said otherwise).</summary>
    public string File { get; }

    /// <summary>1-based line of the offending instruction (its first physical line).</summary>
    public int Line { get; }

    /// <summary>1-based column; 1 when only the line is known.</summary>
    public int Column { get; }

    /// <summary>The physical line at <see cref="Line"/>, without its line terminator; null when unknown.</summary>
    public string? LineText { get; }

    private static string Format(string reason, string file, int line, int column, string? lineText)
    {
        var head = $"{file}:{line}:{column}: {reason}";
        return lineText is null ? head : $"{head}\n {line,4} | {lineText}";
    }
}
