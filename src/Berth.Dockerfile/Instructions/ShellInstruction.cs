namespace Berth.Dockerfile.Instructions;

/// <summary><c>SHELL ["/bin/bash", "-c"]</c>: the prefix for later shell-form commands. JSON form only.</summary>
public sealed record ShellInstruction : Instruction
{
    public override string Keyword => "SHELL";

    public required IReadOnlyList<string> Shell { get; init; }
}
