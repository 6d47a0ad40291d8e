using Berth.Testing;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Distribution.Tests;

/// <summary>A token server as distribution's token auth expects (the role auth.docker.io plays for Docker Hub):
/// <c>GET /token?service=&amp;scope=</c>, anonymous requests get pull access, requests with the right Basic
/// credentials get every action asked for. Tokens are RS256 JWTs carrying their signing certificate (x5c), which
/// the registry trusts through <see cref="CertificatePath"/>. Counts the tokens issued, to check caching.</summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "berth-test-registry";
    public const string Issuer = "berth-test-issuer";
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _cert;
    private readonly string _user, _password;
    private int _issued;

    public TokenServer(string directory, string user, string password)
    {
        _user = user;
        _password = password;
        var request = new CertificateRequest("CN=berth test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePath = Path.Combine(directory, "token-issuer.pem");
        File.WriteAllText(CertificatePath, _cert.ExportCertificatePem());
        Port = RegistryServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public string CertificatePath { get; }
    public int Issued => _issued;

    /// <summary>The scopes asked for, one entry per token request.</summary>
    public List<string> Requests { get; } = [];

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Handle(ctx);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // Client gone.
            }
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        var scopes = ctx.Request.QueryString.GetValues("scope") ?? [];
        lock (Requests) Requests.Add(string.Join(' ', scopes));
        bool authenticated = false;
        if (ctx.Request.Headers["Authorization"] is { } auth && auth.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..]));
            if (pair != $"{_user}:{_password}")
            {
                Reply(ctx, 401, """{"details":"incorrect username or password"}""");
                return;
            }
            authenticated = true;
        }
        var access = new JsonArray();
        foreach (var scope in scopes.SelectMany(s => s.Split(' ')))
        {
            var parts = scope.Split(':');
            if (parts.Length != 3) continue;
            var actions = parts[2].Split(',').Where(a => authenticated || a == "pull").Select(a => (JsonNode)a!).ToArray();
            access.Add(new JsonObject { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = new JsonArray(actions) });
        }
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["x5c"] = new JsonArray(Convert.ToBase64String(_cert.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = authenticated ? _user : "", ["aud"] = Service, ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
        };
        string signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Interlocked.Increment(ref _issued);
        Reply(ctx, 200, new JsonObject { ["token"] = signingInput + "." + B64(signature), ["expires_in"] = 300 }.ToJsonString());
    }

    private static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Reply(HttpListenerContext ctx, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length;
        ctx.Response.OutputStream.Write(bytes);
        ctx.Response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _cert.Dispose();
        _key.Dispose();
    }
}
