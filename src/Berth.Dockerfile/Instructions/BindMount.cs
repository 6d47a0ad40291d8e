namespace Berth.Dockerfile.Instructions;

/// <summary><c>type=bind</c>: a path from the context, or from a stage/image with <see cref="From"/>. Read-only unless <c>rw</c>.</summary>
public sealed record BindMount : RunMount
{
    public override string Type => "bind";

    public string? Source { get; init; }

    public string? From { get; init; }

    public bool ReadOnly { get; init; } = true;
}
