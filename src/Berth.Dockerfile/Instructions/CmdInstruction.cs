namespace Berth.Dockerfile.Instructions;

/// <summary><c>CMD</c> in exec or shell form; the shell form is wrapped by the stage's SHELL at build time.</summary>
public sealed record CmdInstruction : Instruction
{
    public override string Keyword => "CMD";

    public required CommandLine Command { get; init; }
}
