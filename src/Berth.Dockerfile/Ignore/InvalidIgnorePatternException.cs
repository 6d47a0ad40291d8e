namespace Berth.Dockerfile.Ignore;

/// <summary>A .dockerignore pattern is malformed (Go's <c>filepath.ErrBadPattern</c>, or <c>!</c> alone).</summary>
public sealed class InvalidIgnorePatternException : Exception
{
    public InvalidIgnorePatternException(string pattern, string message, Exception? inner = null)
        : base($"invalid .dockerignore pattern \"{pattern}\": {message}", inner) => Pattern = pattern;

    public string Pattern { get; }
}
