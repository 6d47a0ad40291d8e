using System.Text.Json.Serialization;

namespace Berth.Oci;

/// <see href="https://github.com/opencontainers/image-spec/blob/main/image-index.md"/>
public sealed record Platform
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    [JsonPropertyName("variant")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Variant { get; init; }

    public static Platform Host { get; } = new() { Architecture = "amd64", Os = "linux" };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
