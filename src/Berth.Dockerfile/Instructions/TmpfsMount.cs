namespace Berth.Dockerfile.Instructions;

/// <summary><c>type=tmpfs</c>, optionally limited to <see cref="SizeBytes"/>.</summary>
public sealed record TmpfsMount : RunMount
{
    public override string Type => "tmpfs";

    public long? SizeBytes { get; init; }
}
