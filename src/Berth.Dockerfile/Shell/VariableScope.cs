namespace Berth.Dockerfile.Shell;

/// <summary>A dictionary-backed <see cref="IVariableScope"/>; later <see cref="Set"/> calls override.</summary>
public sealed class VariableScope : IVariableScope
{
    private readonly Dictionary<string, string> _values;

    public VariableScope() => _values = new(StringComparer.Ordinal);

    public VariableScope(IEnumerable<KeyValuePair<string, string>> values)
    {
        _values = new(StringComparer.Ordinal);
        foreach (var (k, v) in values)
        {
            _values[k] = v;
        }
    }

    /// <summary>A scope with nothing set.</summary>
    public static IVariableScope Empty { get; } = new VariableScope();

    public IReadOnlyDictionary<string, string> Values => _values;

    public void Set(string name, string value) => _values[name] = value;

    public bool Remove(string name) => _values.Remove(name);

    public bool TryGetValue(string name, out string value)
    {
        if (_values.TryGetValue(name, out var v))
        {
            value = v;
            return true;
        }
        value = "";
        return false;
    }
}
