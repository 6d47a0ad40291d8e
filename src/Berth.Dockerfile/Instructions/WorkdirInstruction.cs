using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>WORKDIR path</c>; a relative path is resolved against the previous WORKDIR by the builder.</summary>
public sealed record WorkdirInstruction : Instruction
{
    public override string Keyword => "WORKDIR";

    public required string Path { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with { Path = expander.Word(Path) };
}
