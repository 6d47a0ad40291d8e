namespace Berth.Dockerfile.Parser;

/// <summary>
/// The parser directives found in the comment block at the top of the file (<c># syntax=</c>, <c># escape=</c>,
/// <c># check=</c>). Null when absent. berth is its own frontend, so <see cref="Syntax"/> is recorded, not obeyed.
/// </summary>
public sealed record ParserDirectives(string? Syntax, char EscapeToken, string? Check);
