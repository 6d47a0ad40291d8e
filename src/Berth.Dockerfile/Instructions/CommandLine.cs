namespace Berth.Dockerfile.Instructions;

/// <summary>
/// A RUN/CMD/ENTRYPOINT/HEALTHCHECK command: exec form (<c>["a","b"]</c>, <see cref="PrependShell"/> false) or
/// shell form (one string in <see cref="Args"/>, to be run by the stage's SHELL).
/// </summary>
public sealed record CommandLine(IReadOnlyList<string> Args, bool PrependShell)
{
    public bool Equals(CommandLine? other) =>
        other is not null && PrependShell == other.PrependShell && Args.SequenceEqual(other.Args);

    public override int GetHashCode() => HashCode.Combine(PrependShell, Args.Count);
}
