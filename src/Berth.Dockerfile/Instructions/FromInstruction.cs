using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>FROM [--platform=p] image [AS name]</c>. <see cref="BaseName"/> may name an earlier stage, <c>scratch</c>, or
/// an image; it and <see cref="Platform"/> are expanded with the global ARGs only.
/// </summary>
public sealed record FromInstruction : Instruction
{
    public override string Keyword => "FROM";

    public required string BaseName { get; init; }

    /// <summary>The stage name, lower-cased, or null.</summary>
    public string? StageName { get; init; }

    public string? Platform { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        BaseName = expander.Word(BaseName),
        Platform = Platform is null ? null : expander.Word(Platform),
    };
}
