namespace Berth.Dockerfile.Instructions;

/// <summary><c>MAINTAINER name</c>: deprecated, still sets the image's author.</summary>
public sealed record MaintainerInstruction : Instruction
{
    public override string Keyword => "MAINTAINER";

    public required string Maintainer { get; init; }
}
