namespace Berth.Dockerfile.Instructions;

/// <summary><c>type=cache</c>: a persistent directory keyed by <see cref="Id"/> (default: the target).</summary>
public sealed record CacheMount : RunMount
{
    public override string Type => "cache";

    public string? Id { get; init; }

    public CacheSharing Sharing { get; init; } = CacheSharing.Shared;

    public string? From { get; init; }

    public string? Source { get; init; }

    public bool ReadOnly { get; init; }

    public uint? Mode { get; init; }

    public uint? Uid { get; init; }

    public uint? Gid { get; init; }
}
