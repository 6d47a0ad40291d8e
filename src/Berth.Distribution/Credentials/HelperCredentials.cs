using System.Text.Json.Serialization;

namespace Berth.Distribution.Credentials;

/// <summary>The JSON a credential helper reads on <c>store</c> and writes on <c>get</c>.</summary>
internal sealed record HelperCredentials
{
    [JsonPropertyName("ServerURL")] public string? ServerUrl { get; init; }
    [JsonPropertyName("Username")] public string? Username { get; init; }
    [JsonPropertyName("Secret")] public string? Secret { get; init; }
}
