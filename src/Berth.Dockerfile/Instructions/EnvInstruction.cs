using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>ENV a=1 b=2</c> or <c>ENV a 1</c>. All pairs expand against the scope before the instruction, so in
/// <c>ENV a=x b=$a</c> the <c>$a</c> is the old value, as in BuildKit.
/// </summary>
public sealed record EnvInstruction : Instruction
{
    public override string Keyword => "ENV";

    public required IReadOnlyList<KeyValue> Variables { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Variables = [.. Variables.Select(kv => kv with { Key = expander.Word(kv.Key), Value = expander.Word(kv.Value) })],
    };
}
