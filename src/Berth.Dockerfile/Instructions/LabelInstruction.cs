using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>LABEL a=1 b=2</c> (or the legacy <c>LABEL a 1</c>).</summary>
public sealed record LabelInstruction : Instruction
{
    public override string Keyword => "LABEL";

    public required IReadOnlyList<KeyValue> Labels { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Labels = [.. Labels.Select(kv => kv with { Key = expander.Word(kv.Key), Value = expander.Word(kv.Value) })],
    };
}
