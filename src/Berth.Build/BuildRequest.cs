using Berth.Dockerfile.Instructions;

namespace Berth.Build;

/// <summary>What <c>berth build</c> asks for: a context directory, the Dockerfile text, and the flags that shape the
/// result. Options are data; the <see cref="Builder"/> does the work.</summary>
public sealed record BuildRequest
{
    /// <summary>The context root (an absolute path); a tar context is unpacked to a directory first.</summary>
    public required string ContextDirectory { get; init; }
    public required string DockerfileText { get; init; }
    /// <summary>The Dockerfile's name as errors should show it.</summary>
    public string DockerfileName { get; init; } = "Dockerfile";
    /// <summary>The .dockerignore text that applies, or null.</summary>
    public string? IgnoreText { get; init; }
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool NoCache { get; init; }

    /// <summary><c>--pull</c>: pull every base image even when the store has it (a missing one is always pulled).</summary>
    public bool Pull { get; init; }
    /// <summary><c>--no-cache-filter</c>: stages (by name, or by index for unnamed ones) whose steps run again
    /// whatever the cache holds; the other stages still use it.</summary>
    public IReadOnlySet<string> NoCacheStages { get; init; } = new HashSet<string>();
    /// <summary>SOURCE_DATE_EPOCH: every timestamp the build writes (history, config, layer mtimes) is clamped to it.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }
    /// <summary>The network of RUN steps that do not say (<c>build --network</c>): <see cref="RunNetwork.Default"/> is
    /// the engine's default network (docker's bridge, as the classic builder and BuildKit give RUN steps), or none
    /// or host.</summary>
    public RunNetwork DefaultNetwork { get; init; } = RunNetwork.Default;
    /// <summary>Build secrets by id: a host file to expose at <c>/run/secrets/&lt;id&gt;</c>.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();
}
