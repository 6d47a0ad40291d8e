using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>ARG a [b=default ...]</c>. Before the first FROM these are the global (meta) args.</summary>
public sealed record ArgInstruction : Instruction
{
    public override string Keyword => "ARG";

    public required IReadOnlyList<ArgDefinition> Args { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Args = [.. Args.Select(a => new ArgDefinition(expander.Word(a.Name), a.DefaultValue is null ? null : expander.Word(a.DefaultValue)))],
    };
}
