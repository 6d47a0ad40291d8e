namespace Berth.Dockerfile.Instructions;

/// <summary>
/// A <c>RUN --mount=...</c> (BuildKit's <c>runmount.go</c>): one of <see cref="BindMount"/>,
/// <see cref="CacheMount"/>, <see cref="TmpfsMount"/>, <see cref="SecretMount"/> or <see cref="SshMount"/>.
/// </summary>
public abstract record RunMount
{
    /// <summary>The path inside the container; null only for secret/ssh mounts that use their default.</summary>
    public string? Target { get; init; }

    /// <summary>The mount type as written in <c>type=</c>.</summary>
    public abstract string Type { get; }
}
