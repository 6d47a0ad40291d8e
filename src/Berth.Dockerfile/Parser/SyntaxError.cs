namespace Berth.Dockerfile.Parser;

/// <summary>A parse failure without a location; the parser adds file, line and column.</summary>
internal sealed class SyntaxError : Exception
{
    public SyntaxError(string message) : base(message)
    {
    }
}
