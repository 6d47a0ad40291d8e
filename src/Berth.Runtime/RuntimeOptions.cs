namespace Berth.Runtime;

/// <summary>Where a runtime keeps its state and which binary it re-executes as the container init.</summary>
public sealed record RuntimeOptions
{
    /// <summary>The directory of per-container state (runc's <c>--root</c>): volatile, created on demand.</summary>
    public required string StateRoot { get; init; }

    /// <summary>The berth executable run as <c>berth init</c>; by default this process's own executable.</summary>
    public string? InitPath { get; init; }

    /// <summary>Where compiled seccomp filters are cached (<see cref="Security.SeccompProgram"/>); null compiles
    /// every time.</summary>
    public string? SeccompCacheDir { get; init; }

    /// <summary>Where warnings go (a poststart or poststop hook that failed: the spec makes those warnings); null
    /// drops them.</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>For tests: resolve container paths with the component walk instead of openat2.</summary>
    public bool NoOpenat2 { get; init; }
}
