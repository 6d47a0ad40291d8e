using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Berth.Distribution.Credentials;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

/// <summary>Answers a registry's 401: reads the <c>WWW-Authenticate</c> challenge, and for <c>Bearer</c> fetches a
/// token from the realm (anonymously, or with the stored credentials) for the scope the request needs, caches it
/// per realm, service and scope until it expires, and sends the request again; for <c>Basic</c> it sends the
/// credentials. Once a registry has answered with a challenge, later requests carry the token or credentials up
/// front, so a streamed upload body is never sent twice.</summary>
/// <see href="https://distribution.github.io/distribution/spec/auth/token/"/>
public sealed class AuthHandler(string registry, Func<CancellationToken, ValueTask<RegistryCredentials?>> credentials, TimeProvider time)
    : DelegatingHandler
{
    /// <summary>Extra scopes a request needs beyond its own repository (the source of a cross-repository mount).</summary>
    public static readonly HttpRequestOptionsKey<string[]> ExtraScopes = new("berth.scopes");

    /// <summary>Set on the version check (<c>GET /v2/</c>) that settles the scheme: its 401 is expected and answered
    /// by the first real request, with that request's scope.</summary>
    public static readonly HttpRequestOptionsKey<bool> Anonymous = new("berth.anonymous");

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new();
    private AuthChallenge? _challenge;
    private RegistryCredentials? _credentials;
    private bool _credentialsRead;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Options.TryGetValue(Anonymous, out bool anonymous) && anonymous) return await base.SendAsync(request, ct);
        string scope = ScopeOf(request);
        if (_challenge is { } known) await AuthorizeAsync(request, known, scope, ct);
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        var challenges = response.Headers.WwwAuthenticate.Select(h => h.ToString()).SelectMany(AuthChallenge.Parse).ToList();
        var challenge = challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
        // A second 401 with the same challenge after we answered it means the credentials are wrong: let it through.
        if (challenge is null || (_challenge is not null && request.Headers.Authorization is not null)) return response;
        if (!Replayable(request)) return response;
        _challenge = challenge;
        if (challenge.Scope is { Length: > 0 } asked && !scope.Contains(asked, StringComparison.Ordinal)) scope = scope.Length == 0 ? asked : scope + " " + asked;
        if (!await AuthorizeAsync(request, challenge, scope, ct)) return response;
        response.Dispose();
        return await base.SendAsync(request, ct);
    }

    private static bool Replayable(HttpRequestMessage request) => request.Content is null or ByteArrayContent;

    /// <summary>The scopes of a request: <c>repository:NAME:pull</c> for reads, <c>pull,push</c> for writes, plus
    /// <see cref="ExtraScopes"/>. Space-separated, as several <c>scope</c> parameters of one token request.</summary>
    internal static string ScopeOf(HttpRequestMessage request)
    {
        var scopes = new List<string>();
        string path = request.RequestUri?.AbsolutePath ?? "";
        if (path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            string rest = path[4..];
            foreach (var marker in new[] { "/manifests/", "/blobs/", "/tags/" })
            {
                int at = rest.IndexOf(marker, StringComparison.Ordinal);
                if (at <= 0) continue;
                bool read = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head;
                scopes.Add($"repository:{rest[..at]}:{(read ? "pull" : "pull,push")}");
                break;
            }
        }
        if (request.Options.TryGetValue(ExtraScopes, out var extra)) scopes.AddRange(extra);
        return string.Join(' ', scopes);
    }

    private async ValueTask<RegistryCredentials?> CredentialsAsync(CancellationToken ct)
    {
        if (!_credentialsRead)
        {
            _credentials = await credentials(ct);
            _credentialsRead = true;
        }
        return _credentials;
    }

    private async ValueTask<bool> AuthorizeAsync(HttpRequestMessage request, AuthChallenge challenge, string scope, CancellationToken ct)
    {
        if (challenge.IsBasic)
        {
            if (await CredentialsAsync(ct) is not { } c) return false;
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));
            return true;
        }
        string token = await TokenAsync(challenge, scope, ct);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return true;
    }

    private async ValueTask<string> TokenAsync(AuthChallenge challenge, string scope, CancellationToken ct)
    {
        string realm = challenge.Realm ?? throw new RegistryException(ErrorKind.Unauthenticated, $"{registry}: Bearer challenge without a realm");
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
            throw new RegistryException(ErrorKind.Unauthenticated, $"{registry}: token realm \"{realm}\" is not an http(s) URL");
        string key = $"{realm}|{challenge.Service}|{scope}";
        var now = time.GetUtcNow();
        if (_tokens.TryGetValue(key, out var cached) && cached.Expires > now) return cached.Token;

        var query = new List<string>();
        if (challenge.Service is { } service) query.Add("service=" + Uri.EscapeDataString(service));
        foreach (var s in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)) query.Add("scope=" + Uri.EscapeDataString(s));
        var creds = await CredentialsAsync(ct);
        // Never send a password to a realm over plain HTTP on another host than the registry's own (a realm is
        // chosen by whoever answered the 401).
        if (creds is not null && realmUri.Scheme == "http" && !Reference.RegistryHost.IsLoopback(realmUri.Authority))
            throw new RegistryException(ErrorKind.PermissionDenied, $"{registry}: refusing to send credentials to the token realm {realm} over plain HTTP");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, realm + (realm.Contains('?') ? "&" : "?") + string.Join('&', query));
        if (creds is not null)
        {
            if (creds.IdentityToken is { Length: > 0 } refresh)
            {
                tokenRequest.Method = HttpMethod.Post;
                tokenRequest.RequestUri = realmUri;
                var form = new List<KeyValuePair<string, string>>
                {
                    new("grant_type", "refresh_token"), new("refresh_token", refresh), new("client_id", "berth"),
                    new("service", challenge.Service ?? ""),
                };
                form.AddRange(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => new KeyValuePair<string, string>("scope", s)));
                tokenRequest.Content = new FormUrlEncodedContent(form);
            }
            else
            {
                tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{creds.Username}:{creds.Password}")));
            }
        }
        using var response = await base.SendAsync(tokenRequest, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            string text = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 512))).Trim();
            var kind = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ErrorKind.Unauthenticated : RegistryException.KindOf((int)response.StatusCode);
            throw new RegistryException(kind, $"{registry}: token server {realmUri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}" +
                (creds is null ? "" : $" for user {creds.Username}") + (text.Length > 0 ? $": {text}" : ""), status: (int)response.StatusCode);
        }
        TokenResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, DistributionJsonContext.Default.TokenResponse);
        }
        catch (JsonException e)
        {
            throw new RegistryException(ErrorKind.Unauthenticated, $"{registry}: token server {realmUri.GetLeftPart(UriPartial.Path)}: invalid JSON: {e.Message}");
        }
        string token = parsed?.Token is { Length: > 0 } t ? t : parsed?.AccessToken is { Length: > 0 } a ? a
            : throw new RegistryException(ErrorKind.Unauthenticated, $"{registry}: token server {realmUri.GetLeftPart(UriPartial.Path)} sent no token");
        // The spec: expires_in defaults to 60 s. Renew a little early so a token never expires in flight.
        int seconds = parsed!.ExpiresIn is { } e2 and > 0 ? e2 : 60;
        var issued = parsed.IssuedAt ?? now;
        _tokens[key] = (token, issued.AddSeconds(seconds).AddSeconds(-Math.Min(10, seconds / 4)));
        return token;
    }
}
