using System.Text.Json;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>Reading helpers for the converters of stored request fields that were once stored as the flag's
/// string and are now typed objects (<see cref="Ulimit"/>, <see cref="RestartPolicy"/>, <see cref="DeviceMapping"/>).</summary>
internal static class StoredJson
{
    /// <summary>A flat object's members, as elements.</summary>
    public static Dictionary<string, JsonElement> ReadObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected an object, found {reader.TokenType}");
        using var doc = JsonDocument.ParseValue(ref reader);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    public static string String(Dictionary<string, JsonElement> fields, string name, string? fallback = null) =>
        fields.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : fallback ?? throw BerthException.DataLoss($"stored container request: \"{name}\" is missing");

    public static long Long(Dictionary<string, JsonElement> fields, string name, long? fallback = null) =>
        fields.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64()
        : fallback ?? throw BerthException.DataLoss($"stored container request: \"{name}\" is missing");
}
