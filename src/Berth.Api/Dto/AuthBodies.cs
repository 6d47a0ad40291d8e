using System.Text.Json.Serialization;

namespace Berth.Api.Dto;

/// <summary>docker's AuthConfig: <c>POST /auth</c>'s body, and the base64url JSON of the <c>X-Registry-Auth</c> header.</summary>
public sealed record AuthConfigBody
{
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("password")] public string? Password { get; init; }
    /// <summary>base64 of <c>username:password</c>, as config.json keeps it.</summary>
    [JsonPropertyName("auth")] public string? Auth { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("serveraddress")] public string? ServerAddress { get; init; }
    [JsonPropertyName("identitytoken")] public string? IdentityToken { get; init; }
    [JsonPropertyName("registrytoken")] public string? RegistryToken { get; init; }
}

public sealed record AuthResponse(string Status, string IdentityToken);
