using System.Text.Json.Serialization;

namespace Berth.Distribution.Client;

/// <summary>A token server's answer (<c>token</c>, or OAuth2's <c>access_token</c>).</summary>
/// <see href="https://distribution.github.io/distribution/spec/auth/token/#token-response-fields"/>
internal sealed record TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; init; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; init; }
    [JsonPropertyName("issued_at")] public DateTimeOffset? IssuedAt { get; init; }
}

/// <summary>The error body of a registry: <c>{"errors":[{"code":…,"message":…,"detail":…}]}</c>.</summary>
internal sealed record ErrorResponse
{
    [JsonPropertyName("errors")] public IReadOnlyList<ErrorEntry>? Errors { get; init; }
}

internal sealed record ErrorEntry
{
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
}

/// <summary><c>GET /v2/&lt;name&gt;/tags/list</c>.</summary>
internal sealed record TagList
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("tags")] public IReadOnlyList<string>? Tags { get; init; }
}
