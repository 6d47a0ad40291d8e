namespace Berth.Dockerfile.Instructions;

/// <summary><c>type=ssh</c>: an SSH agent socket (id <c>default</c> unless given).</summary>
public sealed record SshMount : RunMount
{
    public override string Type => "ssh";

    public string Id { get; init; } = "default";

    public bool Required { get; init; }

    public uint Mode { get; init; } = Convert.ToUInt32("600", 8);

    public uint Uid { get; init; }

    public uint Gid { get; init; }
}
