using Berth.Oci.Errors;

namespace Berth.Cli;

/// <summary>docker's <c>--filter key=value</c> flags as the typed map the engine (and the Engine API's
/// <c>filters</c> query parameter) takes: values of one key are alternatives, keys must all match.</summary>
internal static class FilterFlags
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Parse(IEnumerable<string>? flags)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var f in flags ?? [])
        {
            var eq = f.IndexOf('=');
            if (eq <= 0) throw BerthException.Invalid($"bad format of filter (expected name=value): {f}");
            if (!map.TryGetValue(f[..eq], out var values)) map[f[..eq]] = values = [];
            values.Add(f[(eq + 1)..]);
        }
        return map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }
}
