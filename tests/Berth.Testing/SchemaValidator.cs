using NJsonSchema;

namespace Berth.Testing;

/// <summary>Validates JSON against the OCI schemas in tests/conformance (draft-04, with file-relative $refs).</summary>
public static class SchemaValidator
{
    private static readonly Dictionary<string, JsonSchema> Cache = new();

    /// <summary>Returns the validation errors (empty when valid). <paramref name="schemaFile"/> is relative to
    /// tests/conformance, e.g. "oci-image-schema/image-manifest-schema.json".</summary>
    public static IReadOnlyList<string> Validate(string schemaFile, string json)
    {
        JsonSchema schema;
        lock (Cache)
        {
            if (!Cache.TryGetValue(schemaFile, out schema!))
                Cache[schemaFile] = schema = JsonSchema.FromFileAsync(RepoPaths.Conformance(schemaFile)).GetAwaiter().GetResult();
        }
        return schema.Validate(json).Select(e => $"{e.Path}: {e.Kind} ({e.Property})").ToList();
    }
}
