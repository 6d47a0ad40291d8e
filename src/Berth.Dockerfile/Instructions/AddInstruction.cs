using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>ADD [--chown] [--chmod] [--link] [--keep-git-dir] [--checksum=sha256:...] [--exclude=p]... src... dest</c>:
/// like COPY, plus URLs and auto-extraction of local archives.
/// </summary>
public sealed record AddInstruction : Instruction
{
    public override string Keyword => "ADD";

    public required IReadOnlyList<string> Sources { get; init; }

    public IReadOnlyList<HeredocSource> HeredocSources { get; init; } = [];

    public required string Destination { get; init; }

    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    public bool Link { get; init; }

    public bool KeepGitDir { get; init; }

    public string? Checksum { get; init; }

    /// <summary><c>--unpack</c>: null for the default (extract local archives, not URLs).</summary>
    public bool? Unpack { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Sources = [.. Sources.Select(expander.Word)],
        HeredocSources = [.. HeredocSources.Select(h => h.Expand ? h with { Data = expander.HeredocContent(h.Data) } : h)],
        Destination = expander.Word(Destination),
        Chown = Chown is null ? null : expander.Word(Chown),
        Chmod = Chmod is null ? null : expander.Word(Chmod),
        Checksum = Checksum is null ? null : expander.Word(Checksum),
        Excludes = [.. Excludes.Select(expander.Word)],
    };
}
