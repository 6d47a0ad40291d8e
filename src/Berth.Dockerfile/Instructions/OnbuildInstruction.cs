namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>ONBUILD trigger</c>. <see cref="Expression"/> is stored in the image config's OnBuild list (heredoc bodies
/// appended as BuildKit does); <see cref="Trigger"/> is the parsed trigger, for validation and for builds that
/// use this image as a base.
/// </summary>
public sealed record OnbuildInstruction : Instruction
{
    public override string Keyword => "ONBUILD";

    public required string Expression { get; init; }

    public required Instruction Trigger { get; init; }
}
