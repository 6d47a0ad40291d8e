using Berth.Dockerfile.Parser;
using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>RUN [--mount=...] [--network=...] [--security=...] command</c>, with heredoc bodies as files in
/// <see cref="Heredocs"/>. <see cref="Mounts"/> are parsed from <see cref="MountSpecs"/>; before
/// <see cref="Instruction.Expand"/> their values are literal (a numeric option written with a variable is
/// left unset until then).
/// </summary>
public sealed record RunInstruction : Instruction
{
    public override string Keyword => "RUN";

    public required CommandLine Command { get; init; }

    public IReadOnlyList<Heredoc> Heredocs { get; init; } = [];

    /// <summary>The raw <c>--mount</c> values, in order.</summary>
    public IReadOnlyList<string> MountSpecs { get; init; } = [];

    public IReadOnlyList<RunMount> Mounts { get; init; } = [];

    public RunNetwork Network { get; init; } = RunNetwork.Default;

    /// <summary><c>insecure</c> or <c>sandbox</c>, or null when not given.</summary>
    public string? Security { get; init; }

    protected override Instruction ExpandCore(Expander expander) => this with
    {
        Mounts = [.. MountSpecs.Select(s => RunMountParser.Parse(s, expander.Word))],
    };
}
