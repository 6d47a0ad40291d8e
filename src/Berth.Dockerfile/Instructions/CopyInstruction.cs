using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>COPY [--from=stage|image] [--chown=u:g] [--chmod=mode] [--link] [--parents] [--exclude=p]... src... dest</c>.
/// Sources are context paths or globs; heredoc sources are in <see cref="HeredocSources"/>.
/// </summary>
public sealed record CopyInstruction : Instruction
{
    public override string Keyword => "COPY";

    public required IReadOnlyList<string> Sources { get; init; }

    public IReadOnlyList<HeredocSource> HeredocSources { get; init; } = [];

    public required string Destination { get; init; }

    public string? From { get; init; }

    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    public bool Link { get; init; }

    public bool Parents { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Sources = [.. Sources.Select(expander.Word)],
        HeredocSources = [.. HeredocSources.Select(h => h.Expand ? h with { Data = expander.HeredocContent(h.Data) } : h)],
        Destination = expander.Word(Destination),
        From = From is null ? null : expander.Word(From),
        Chown = Chown is null ? null : expander.Word(Chown),
        Chmod = Chmod is null ? null : expander.Word(Chmod),
        Excludes = [.. Excludes.Select(expander.Word)],
    };
}
