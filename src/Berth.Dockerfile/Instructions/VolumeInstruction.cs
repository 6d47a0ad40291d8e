using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary><c>VOLUME /a /b</c> or <c>VOLUME ["/a", "/b"]</c>.</summary>
public sealed record VolumeInstruction : Instruction
{
    public override string Keyword => "VOLUME";

    public required IReadOnlyList<string> Volumes { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Volumes = [.. Volumes.Select(expander.Word)],
    };
}
