namespace Berth.Dockerfile.Instructions;

/// <summary>Where an instruction came from: its file, physical line range and first line's text.</summary>
public sealed record SourceLocation(string File, int StartLine, int EndLine, int Column, string? LineText)
{
    /// <summary>A <see cref="DockerfileParseException"/> pointing at this instruction.</summary>
    public DockerfileParseException Error(string reason, Exception? inner = null) =>
        new(reason, File, StartLine, Column, LineText, inner);
}
