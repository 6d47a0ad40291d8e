namespace Berth.Dockerfile.Parser;

/// <summary>A non-fatal finding, returned beside the AST as BuildKit does (for example empty continuation lines).</summary>
public sealed record ParseWarning(string Short, string Detail, int Line);
