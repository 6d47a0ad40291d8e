using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;

namespace Berth.Oci;

[JsonSourceGenerationOptions(Converters = [typeof(DigestJsonConverter)], DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayout))]
[JsonSerializable(typeof(MediaTypeProbe))]
public sealed partial class OciJsonContext : JsonSerializerContext;

/// <summary>The <c>oci-layout</c> file of an image layout.</summary>
public sealed record OciLayout
{
    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; init; } = "1.0.0";
}

/// <summary>Reads only <c>mediaType</c> (and schemaVersion) to decide what a blob is.</summary>
public sealed record MediaTypeProbe
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("manifests")] public JsonElement? Manifests { get; init; }
    [JsonPropertyName("config")] public JsonElement? Config { get; init; }
}

/// <summary>Parses OCI JSON, turning every malformation into an InvalidArgument naming the object.</summary>
public static class OciJson
{
    public static T Parse<T>(ReadOnlySpan<byte> json, string what) where T : class
    {
        try
        {
            var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)OciJsonContext.Default.GetTypeInfo(typeof(T))!;
            return JsonSerializer.Deserialize(json, info) ?? throw BerthException.Invalid($"{what}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new BerthException(ErrorKind.InvalidArgument, $"{what}: invalid JSON: {e.Message}", e);
        }
    }

    public static byte[] Serialize<T>(T value) where T : class
    {
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)OciJsonContext.Default.GetTypeInfo(typeof(T))!;
        return JsonSerializer.SerializeToUtf8Bytes(value, info);
    }
}
