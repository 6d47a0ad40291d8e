using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.Runtime.Tests.Support;

/// <summary>A JSON Schema (draft-04) validator for exactly the keywords the OCI runtime-spec schemas use: $ref
/// (local and file-relative), type, properties, patternProperties, additionalProperties, required, items, minItems,
/// enum, pattern, minimum, maximum, allOf, anyOf, oneOf. Numbers are compared as decimals, so the schema's uint64
/// bounds (18446744073709551615) work — NJsonSchema throws on them.</summary>
internal static class OciSchemaValidator
{
    private static readonly Dictionary<string, JsonElement> Documents = new();

    public static IReadOnlyList<string> Validate(string schemaFile, string json)
    {
        var path = RepoPaths.Conformance(schemaFile);
        var errors = new List<string>();
        using var doc = JsonDocument.Parse(json);
        Check(doc.RootElement, Load(path), path, "$", errors);
        return errors;
    }

    private static JsonElement Load(string path)
    {
        lock (Documents)
        {
            if (!Documents.TryGetValue(path, out var e))
                Documents[path] = e = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.Clone();
            return e;
        }
    }

    private static (JsonElement Schema, string File) Resolve(string reference, string currentFile)
    {
        var hash = reference.IndexOf('#');
        var file = hash == 0 ? currentFile : Path.Combine(Path.GetDirectoryName(currentFile)!, hash < 0 ? reference : reference[..hash]);
        var node = Load(file);
        var pointer = hash < 0 ? "" : reference[(hash + 1)..];
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
            node = node.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
        return (node, file);
    }

    private static void Check(JsonElement value, JsonElement schema, string file, string at, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var r))
        {
            var (target, targetFile) = Resolve(r.GetString()!, file);
            Check(value, target, targetFile, at, errors);
            return;
        }
        if (schema.TryGetProperty("type", out var type) && !TypeMatches(value, type))
        {
            errors.Add($"{at}: expected {type}, got {value.ValueKind}");
            return;
        }
        if (schema.TryGetProperty("enum", out var en) && !en.EnumerateArray().Any(e => JsonElement.DeepEquals(e, value)))
            errors.Add($"{at}: {value} not in enum {en}");
        if (schema.TryGetProperty("allOf", out var allOf))
            foreach (var s in allOf.EnumerateArray()) Check(value, s, file, at, errors);
        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(s => Passes(value, s, file, at)))
            errors.Add($"{at}: matches none of anyOf");
        if (schema.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Count(s => Passes(value, s, file, at)) != 1)
            errors.Add($"{at}: does not match exactly one of oneOf");

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                CheckObject(value, schema, file, at, errors);
                break;
            case JsonValueKind.Array:
                if (schema.TryGetProperty("minItems", out var min) && value.GetArrayLength() < min.GetInt32())
                    errors.Add($"{at}: fewer than {min} items");
                if (schema.TryGetProperty("items", out var items))
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray()) Check(item, items, file, $"{at}[{i++}]", errors);
                }
                break;
            case JsonValueKind.String:
                if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(value.GetString()!, pattern.GetString()!))
                    errors.Add($"{at}: \"{value.GetString()}\" does not match {pattern}");
                break;
            case JsonValueKind.Number:
                var n = decimal.Parse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                if (schema.TryGetProperty("minimum", out var lo) && n < decimal.Parse(lo.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture))
                    errors.Add($"{at}: {n} < minimum {lo}");
                if (schema.TryGetProperty("maximum", out var hi) && n > decimal.Parse(hi.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture))
                    errors.Add($"{at}: {n} > maximum {hi}");
                break;
        }
    }

    private static void CheckObject(JsonElement value, JsonElement schema, string file, string at, List<string> errors)
    {
        if (schema.TryGetProperty("required", out var req))
            foreach (var name in req.EnumerateArray())
                if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{at}: missing required \"{name}\"");
        schema.TryGetProperty("properties", out var props);
        schema.TryGetProperty("patternProperties", out var patterns);
        schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var p in value.EnumerateObject())
        {
            var matched = false;
            if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var ps))
            {
                matched = true;
                Check(p.Value, ps, file, $"{at}.{p.Name}", errors);
            }
            if (patterns.ValueKind == JsonValueKind.Object)
            {
                foreach (var pp in patterns.EnumerateObject())
                {
                    if (!Regex.IsMatch(p.Name, pp.Name)) continue;
                    matched = true;
                    Check(p.Value, pp.Value, file, $"{at}.{p.Name}", errors);
                }
            }
            if (matched) continue;
            if (additional.ValueKind == JsonValueKind.False) errors.Add($"{at}: unexpected property \"{p.Name}\"");
            else if (additional.ValueKind == JsonValueKind.Object) Check(p.Value, additional, file, $"{at}.{p.Name}", errors);
        }
    }

    private static bool Passes(JsonElement value, JsonElement schema, string file, string at)
    {
        var errors = new List<string>();
        Check(value, schema, file, at, errors);
        return errors.Count == 0;
    }

    private static bool TypeMatches(JsonElement value, JsonElement type)
    {
        if (type.ValueKind == JsonValueKind.Array) return type.EnumerateArray().Any(t => TypeMatches(value, t));
        return type.GetString() switch
        {
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => value.ValueKind == JsonValueKind.Null,
            "number" => value.ValueKind == JsonValueKind.Number,
            "integer" => value.ValueKind == JsonValueKind.Number && !value.GetRawText().Contains('.') && !value.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase),
            var other => throw new NotSupportedException($"schema type {other}"),
        };
    }
}
