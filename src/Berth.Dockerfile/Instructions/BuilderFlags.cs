namespace Berth.Dockerfile.Instructions;

/// <summary>
/// The <c>--flag</c> words of one instruction checked against the flags it declares (BuildKit's <c>bflag.go</c>):
/// unknown flags, duplicates, a missing value and a non-boolean value for a boolean flag are errors.
/// </summary>
internal sealed class BuilderFlags
{
    private enum Kind { Bool, String, Strings }

    private readonly IReadOnlyList<string> _args;
    private readonly Dictionary<string, Kind> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);

    public BuilderFlags(IReadOnlyList<string> args) => _args = args;

    public BuilderFlags Bool(string name) => Declare(name, Kind.Bool);

    public BuilderFlags String(string name) => Declare(name, Kind.String);

    public BuilderFlags Strings(string name) => Declare(name, Kind.Strings);

    private BuilderFlags Declare(string name, Kind kind)
    {
        _declared[name] = kind;
        return this;
    }

    public bool IsUsed(string name) => _values.ContainsKey(name) || _lists.ContainsKey(name);

    public bool GetBool(string name) => _values.TryGetValue(name, out var v) && v == "true";

    public bool? GetOptionalBool(string name) => _values.TryGetValue(name, out var v) ? v == "true" : null;

    public string? GetString(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public IReadOnlyList<string> GetStrings(string name) => _lists.TryGetValue(name, out var v) ? v : [];

    /// <exception cref="InstructionException">A flag is unknown or malformed.</exception>
    public void Parse()
    {
        foreach (var raw in _args)
        {
            if (!raw.StartsWith("--", StringComparison.Ordinal))
            {
                throw new InstructionException($"arg should start with -- : {raw}");
            }
            if (raw == "--")
            {
                return;
            }
            var arg = raw[2..];
            var value = "";
            var eq = arg.IndexOf('=');
            if (eq >= 0)
            {
                value = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            if (!_declared.TryGetValue(arg, out var kind))
            {
                var known = _declared.Count == 0 ? "" : $" (expected one of --{string.Join(", --", _declared.Keys.Order(StringComparer.Ordinal))})";
                throw new InstructionException($"unknown flag: {arg}{known}");
            }
            if (kind != Kind.Strings && _values.ContainsKey(arg))
            {
                throw new InstructionException($"duplicate flag specified: {arg}");
            }
            switch (kind)
            {
                case Kind.Bool:
                    if (eq >= 0 && value.Length == 0)
                    {
                        throw new InstructionException($"missing a value on flag: {arg}");
                    }
                    var lower = value.ToLowerInvariant();
                    _values[arg] = lower switch
                    {
                        "" => "true",
                        "true" or "false" => lower,
                        _ => throw new InstructionException($"expecting boolean value for flag {arg}, not: {value}"),
                    };
                    break;
                case Kind.String:
                    if (eq < 0)
                    {
                        throw new InstructionException($"missing a value on flag: {arg}");
                    }
                    _values[arg] = value;
                    break;
                default:
                    if (eq < 0)
                    {
                        throw new InstructionException($"missing a value on flag: {arg}");
                    }
                    if (!_lists.TryGetValue(arg, out var list))
                    {
                        _lists[arg] = list = [];
                    }
                    list.Add(value);
                    break;
            }
        }
    }
}
