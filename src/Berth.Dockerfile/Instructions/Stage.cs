namespace Berth.Dockerfile.Instructions;

/// <summary>
/// One build stage: its FROM and the instructions up to the next FROM. <see cref="Name"/> is the lower-cased
/// <c>AS</c> name, or null.
/// </summary>
public sealed record Stage(int Index, string? Name, FromInstruction From, IReadOnlyList<Instruction> Instructions)
{
    /// <summary>The name if any, else the index, as BuildKit names stages in progress output.</summary>
    public string DisplayName => Name ?? Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
