namespace Berth.Dockerfile.Shell;

/// <summary>
/// The variables visible to a word expansion: the build args and ENV in effect at an instruction (the builder
/// composes them), or the global ARGs for FROM. Lookup is case-sensitive, as on Linux.
/// </summary>
public interface IVariableScope
{
    /// <summary>True when <paramref name="name"/> is set (possibly to the empty string).</summary>
    bool TryGetValue(string name, out string value);
}
