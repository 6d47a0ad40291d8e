using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>USER name[:group]</c>.</summary>
public sealed record UserInstruction : Instruction
{
    public override string Keyword => "USER";

    public required string User { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with { User = expander.Word(User) };
}
