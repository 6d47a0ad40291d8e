namespace Berth.Dockerfile.Instructions;

/// <summary>An instruction-level error before a location is attached.</summary>
internal sealed class InstructionException : Exception
{
    public InstructionException(string message) : base(message)
    {
    }
}
