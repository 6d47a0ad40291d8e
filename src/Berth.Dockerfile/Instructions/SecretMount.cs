namespace Berth.Dockerfile.Instructions;

/// <summary>
/// <c>type=secret</c>: a build secret as a file (default <c>/run/secrets/&lt;id&gt;</c>) or an environment variable
/// (<see cref="Env"/>). <see cref="Id"/> defaults to the target's file name.
/// </summary>
public sealed record SecretMount : RunMount
{
    public override string Type => "secret";

    public required string Id { get; init; }

    public string? Env { get; init; }

    public bool Required { get; init; }

    public uint Mode { get; init; } = Convert.ToUInt32("400", 8);

    public uint Uid { get; init; }

    public uint Gid { get; init; }
}
