using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>EXPOSE 80 443/tcp 53/udp</c>; ports stay strings (ranges and protocols are the builder's concern).</summary>
public sealed record ExposeInstruction : Instruction
{
    public override string Keyword => "EXPOSE";

    public required IReadOnlyList<string> Ports { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Ports = [.. Ports.SelectMany(expander.Words)],
    };
}
