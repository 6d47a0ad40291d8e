using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>STOPSIGNAL SIGTERM</c> (a name or a number; validated by the builder).</summary>
public sealed record StopSignalInstruction : Instruction
{
    public override string Keyword => "STOPSIGNAL";

    public required string Signal { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with { Signal = expander.Word(Signal) };
}
