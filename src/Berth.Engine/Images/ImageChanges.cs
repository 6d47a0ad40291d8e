using System.Text;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Engine.Images;

/// <summary>The Dockerfile instructions <c>import --change</c> accepts, applied to an image's config: CMD,
/// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR (as docker import).</summary>
public static class ImageChanges
{
    public static ContainerConfig Apply(ContainerConfig config, IEnumerable<string> changes)
    {
        foreach (var change in changes)
        {
            var text = change.Trim();
            int sp = text.IndexOfAny([' ', '\t']);
            string keyword = (sp < 0 ? text : text[..sp]).ToUpperInvariant();
            string rest = sp < 0 ? "" : text[(sp + 1)..].Trim();
            config = keyword switch
            {
                "CMD" => config with { Cmd = Command(rest, change) },
                "ENTRYPOINT" => config with { Entrypoint = Command(rest, change) },
                "ENV" => config with { Env = MergeEnv(config.Env, Pairs(rest, change, "ENV")) },
                "LABEL" => config with { Labels = Merge(config.Labels, Pairs(rest, change, "LABEL")) },
                "EXPOSE" => config with { ExposedPorts = Add(config.ExposedPorts, Words(rest).Select(p => p.Contains('/') ? p : p + "/tcp")) },
                "VOLUME" => config with { Volumes = Add(config.Volumes, rest.StartsWith('[') ? Json(rest, change) : Words(rest)) },
                "USER" => config with { User = Required(rest, change) },
                "WORKDIR" => config with { WorkingDir = Required(rest, change) },
                "STOPSIGNAL" => config with { StopSignal = Required(rest, change) },
                "ONBUILD" => config with { OnBuild = [.. config.OnBuild ?? [], Required(rest, change)] },
                _ => throw BerthException.Invalid($"--change \"{change}\": {keyword} is not a valid change instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)"),
            };
        }
        return config;
    }

    private static string Required(string rest, string change) =>
        rest.Length > 0 ? rest : throw BerthException.Invalid($"--change \"{change}\": missing argument");

    private static IReadOnlyList<string> Command(string rest, string change) =>
        rest.StartsWith('[') ? Json(rest, change) : ["/bin/sh", "-c", Required(rest, change)];

    private static IReadOnlyList<string> Json(string rest, string change)
    {
        try
        {
            using var doc = JsonDocument.Parse(rest);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new JsonException("not an array");
            return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new JsonException("not a string array")).ToList();
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"--change \"{change}\": invalid JSON array: {e.Message}");
        }
    }

    private static List<string> Words(string s)
    {
        var words = new List<string>();
        var cur = new StringBuilder();
        char quote = '\0';
        bool any = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < s.Length) cur.Append(s[++i]);
                else cur.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; any = true; }
            else if (c == '\\' && i + 1 < s.Length) { cur.Append(s[++i]); any = true; }
            else if (char.IsWhiteSpace(c)) { if (any || cur.Length > 0) words.Add(cur.ToString()); cur.Clear(); any = false; }
            else cur.Append(c);
        }
        if (any || cur.Length > 0) words.Add(cur.ToString());
        return words;
    }

    private static List<KeyValuePair<string, string>> Pairs(string rest, string change, string keyword)
    {
        var words = Words(rest);
        if (words.Count == 0) throw BerthException.Invalid($"--change \"{change}\": {keyword} needs at least one argument");
        if (!words[0].Contains('='))
        {
            // Legacy form: ENV key value...
            int sp = rest.IndexOfAny([' ', '\t']);
            if (sp < 0) throw BerthException.Invalid($"--change \"{change}\": {keyword} {rest} must have two arguments");
            return [new(rest[..sp], rest[(sp + 1)..].Trim())];
        }
        return words.Select(w =>
        {
            int eq = w.IndexOf('=');
            if (eq <= 0) throw BerthException.Invalid($"--change \"{change}\": {keyword} {w}: expected key=value");
            return new KeyValuePair<string, string>(w[..eq], w[(eq + 1)..]);
        }).ToList();
    }

    private static IReadOnlyList<string> MergeEnv(IReadOnlyList<string>? env, List<KeyValuePair<string, string>> add)
    {
        var list = (env ?? []).ToList();
        foreach (var (k, v) in add)
        {
            int i = list.FindIndex(e => e.StartsWith(k + "=", StringComparison.Ordinal));
            if (i >= 0) list[i] = $"{k}={v}"; else list.Add($"{k}={v}");
        }
        return list;
    }

    private static IReadOnlyDictionary<string, string> Merge(IReadOnlyDictionary<string, string>? labels, List<KeyValuePair<string, string>> add)
    {
        var d = labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);
        foreach (var (k, v) in add) d[k] = v;
        return d;
    }

    private static IReadOnlyDictionary<string, EmptyObject> Add(IReadOnlyDictionary<string, EmptyObject>? set, IEnumerable<string> keys)
    {
        var d = set is null ? new Dictionary<string, EmptyObject>() : new Dictionary<string, EmptyObject>(set);
        foreach (var k in keys) d[k] = EmptyObject.Instance;
        return d;
    }
}
