namespace Berth.Dockerfile.Shell;

/// <summary>
/// A word could not be expanded: an unterminated quote or <c>${</c>, a bad substitution, or a <c>${a:?msg}</c>
/// whose variable is unset. Instruction expansion rewraps it as a <see cref="DockerfileParseException"/>
/// with the instruction's location.
/// </summary>
public sealed class ShellExpansionException : Exception
{
    public ShellExpansionException(string message) : base(message)
    {
    }
}
