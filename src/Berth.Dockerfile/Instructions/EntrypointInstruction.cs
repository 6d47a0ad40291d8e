namespace Berth.Dockerfile.Instructions;

/// <summary><c>ENTRYPOINT</c> in exec or shell form. An empty exec form (<c>[]</c>) clears it.</summary>
public sealed record EntrypointInstruction : Instruction
{
    public override string Keyword => "ENTRYPOINT";

    public required CommandLine Command { get; init; }
}
