using Berth.Dockerfile.Instructions;
namespace Berth.Build;

/// <summary>
/// Runs a RUN step: the build engine declares it and the engine binds it to a container runtime, so Build never
/// knows about namespaces (BuildKit's <c>executor</c> seam). The executor mounts an overlay of
/// <see cref="RunStep.LowerDirs"/> with <see cref="RunStep.UpperDir"/> as its writable layer, runs the command in a
/// container on it, streams the output to <see cref="RunStep.Output"/> line by line, unmounts, and returns the exit
/// code. What the command changed is then in the upper dir, in overlay form, and becomes the layer.
/// </summary>
public interface IRunStepExecutor
{
    Task<int> RunAsync(RunStep step, CancellationToken ct);
}

/// <summary>One RUN: root filesystem layers, process, and mounts.</summary>
public sealed record RunStep
{
    /// <summary>An id usable as a container id.</summary>
    public required string Id { get; init; }
    /// <summary>Snapshot directories of the parent image, top layer first. May be empty (FROM scratch).</summary>
    public required IReadOnlyList<string> LowerDirs { get; init; }
    public required string UpperDir { get; init; }
    /// <summary>An empty directory on the upper dir's filesystem for overlayfs' workdir.</summary>
    public required string WorkDir { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public required string WorkingDir { get; init; }
    public string? User { get; init; }
    /// <summary>The step's network: <see cref="RunNetwork.Default"/> is the engine's default network (a bridge
    /// endpoint made for the step and removed after it), or none, or the host's.</summary>
    public RunNetwork Network { get; init; } = RunNetwork.None;
    public IReadOnlyList<RunStepMount> Mounts { get; init; } = [];
    public required Action<string> Output { get; init; }
}

/// <summary>A <c>RUN --mount</c> made concrete: a host path bound at <see cref="Target"/>, or a tmpfs when
/// <see cref="Source"/> is null.</summary>
public sealed record RunStepMount(string? Source, string Target, bool ReadOnly);
