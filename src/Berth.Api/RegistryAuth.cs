using System.Text;
using System.Text.Json;
using Berth.Api.Dto;
using Berth.Distribution.Credentials;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.Api;

/// <summary>Credentials a client sends with a request: <c>X-Registry-Auth</c> on pull and push (base64url of an
/// AuthConfig JSON, as docker/cli's registry.EncodeAuthConfig), the body of <c>POST /auth</c>.</summary>
internal static class RegistryAuth
{
    public const string Header = "X-Registry-Auth";

    /// <summary>The header's credentials; null without the header or when it holds none (the docker CLI sends
    /// <c>{}</c> for a registry it has no login for), and the engine's stored credentials are used then.</summary>
    public static RegistryCredentials? FromHeader(HttpContext ctx)
    {
        if (ctx.Request.Headers[Header].ToString() is not { Length: > 0 } header) return null;
        AuthConfigBody? body;
        try
        {
            body = JsonSerializer.Deserialize(Base64Url(header), ApiJsonContext.Default.AuthConfigBody);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw BerthException.Invalid($"invalid {Header} header: {e.Message}");
        }
        return body is null ? null : From(body);
    }

    /// <summary>The credentials of an AuthConfig: username and password, else its <c>auth</c> field, else its
    /// identity token alone; null when it has none of them.</summary>
    public static RegistryCredentials? From(AuthConfigBody body)
    {
        string username = body.Username ?? "", password = body.Password ?? "";
        if (username.Length == 0 && password.Length == 0 && body.Auth is { Length: > 0 } auth)
        {
            string pair;
            try
            {
                pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                throw BerthException.Invalid("invalid auth configuration: the auth field is not base64");
            }
            var colon = pair.IndexOf(':');
            if (colon < 0) throw BerthException.Invalid("invalid auth configuration: the auth field is not username:password");
            (username, password) = (pair[..colon], pair[(colon + 1)..]);
        }
        var token = string.IsNullOrEmpty(body.IdentityToken) ? null : body.IdentityToken;
        if (username.Length == 0 && password.Length == 0 && token is null) return null;
        return new RegistryCredentials(username, password, token);
    }

    /// <summary>base64url, padded or not (Go's URLEncoding pads; some clients send standard base64).</summary>
    private static byte[] Base64Url(string text)
    {
        var s = text.Trim().Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        return Convert.FromBase64String(s);
    }
}
