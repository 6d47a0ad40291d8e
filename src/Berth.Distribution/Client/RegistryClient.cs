using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Berth.Distribution.Credentials;
using Berth.Distribution.Reference;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

/// <summary>The OCI distribution API of one registry: manifests, blobs, uploads, tags. Requests go through a
/// handler chain, auth → retry → HTTP (<see cref="AuthHandler"/>, <see cref="RetryHandler"/>, a
/// <see cref="SocketsHttpHandler"/> with the registry's TLS settings). HTTPS is used unless the registry is on
/// loopback or listed as insecure and does not speak TLS (then plain HTTP, as docker). Every error names the
/// registry and the repository, and the digest or tag it was about.</summary>
/// <see href="https://github.com/opencontainers/distribution-spec/blob/main/spec.md"/>
public sealed partial class RegistryClient : IDisposable
{
    /// <summary>containerd's cap on a manifest or index: larger ones are refused unread.</summary>
    public const int MaxManifestBytes = 4 << 20;

    /// <summary>What docker sends: every manifest kind it can pull.</summary>
    public static readonly string[] ManifestAccept =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    private readonly HttpClient _http;
    private readonly RegistryTls _tls;
    private readonly RegistrySettings _settings;
    private Uri? _base;

    /// <param name="mirror">A mirror of <paramref name="domain"/> to talk to instead of its own endpoint
    /// (<see cref="RegistrySettings.MirrorsOf"/>): its URL says the scheme; the domain's credentials are sent, as
    /// dockerd sends Docker Hub's to its mirrors.</param>
    public RegistryClient(string domain, RegistrySettings settings, ICredentialStore? credentials, TimeProvider time, Uri? mirror = null)
    {
        Domain = domain;
        Endpoint = mirror?.Authority ?? RegistryHost.EndpointOf(domain);
        Mirror = mirror;
        if (mirror is not null) _base = new Uri(mirror, "/v2/");
        _settings = settings;
        _tls = new RegistryTls(Endpoint, settings.CertsDirectories) { SkipVerify = settings.IsListedInsecure(Endpoint) };
        var transport = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
            SslOptions = { RemoteCertificateValidationCallback = _tls.Validate, ClientCertificates = _tls.ClientCertificates },
        };
        var retry = new RetryHandler(time) { InnerHandler = transport };
        var auth = new AuthHandler(domain, ct => credentials is null ? ValueTask.FromResult<RegistryCredentials?>(null) : credentials.GetAsync(domain, ct), time)
        {
            InnerHandler = retry,
        };
        _http = new HttpClient(auth) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("berth", "1.0"));
    }

    /// <summary>The domain of references (<c>docker.io</c>, <c>localhost:5000</c>).</summary>
    public string Domain { get; }

    /// <summary>The host spoken to (<c>registry-1.docker.io</c> for docker.io, or a mirror's).</summary>
    public string Endpoint { get; }

    /// <summary>The mirror spoken to instead of the domain's own endpoint, if any.</summary>
    public Uri? Mirror { get; }

    /// <summary>Checks <c>/v2/</c> and settles the scheme. A 401 here is normal (anonymous ping of an
    /// authenticated registry); credentials are tried on the first real request.</summary>
    public async ValueTask PingAsync(CancellationToken ct)
    {
        if (_base is not null) return;
        var https = new Uri($"https://{Endpoint}/v2/");
        try
        {
            using var r = await _http.SendAsync(Ping(https), HttpCompletionOption.ResponseHeadersRead, ct);
            _base = https;
            return;
        }
        catch (HttpRequestException e) when (_settings.AllowsPlainHttp(Endpoint) && _tls.LastFailure is null)
        {
            // Compat: docker falls back to plain HTTP for loopback and insecure registries that do not speak TLS.
            _ = e;
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        var http = new Uri($"http://{Endpoint}/v2/");
        try
        {
            using var r = await _http.SendAsync(Ping(http), HttpCompletionOption.ResponseHeadersRead, ct);
            _base = http;
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
    }

    private static HttpRequestMessage Ping(Uri url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(AuthHandler.Anonymous, true);
        return request;
    }

    private RegistryException Unreachable(HttpRequestException e)
    {
        if (_tls.LastFailure is { } tls)
            return new RegistryException(ErrorKind.Unavailable, $"{Domain}: TLS handshake with {Endpoint} failed: {tls}", inner: e);
        string why = e.InnerException is System.Security.Authentication.AuthenticationException a ? $"TLS: {a.Message}" : e.Message;
        return new RegistryException(ErrorKind.Unavailable, $"{Domain}: cannot reach {Endpoint}: {why}", inner: e);
    }

    private async ValueTask<Uri> UrlAsync(string relative, CancellationToken ct)
    {
        await PingAsync(ct);
        return new Uri(_base!, relative);
    }

    /// <summary>Sends with connection errors turned into errors naming the registry.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseHeadersRead)
    {
        try
        {
            return await _http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
    }

    /// <summary>Turns a refusal into an error: the spec's code and message when the body has them.</summary>
    private static async Task<RegistryException> ErrorAsync(HttpResponseMessage response, string subject, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        string? code = null, message = null;
        try
        {
            var buffer = new byte[64 << 10];
            await using var s = await response.Content.ReadAsStreamAsync(ct);
            int n = await s.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            var parsed = JsonSerializer.Deserialize(buffer.AsSpan(0, n), DistributionJsonContext.Default.ErrorResponse);
            code = parsed?.Errors?.FirstOrDefault()?.Code;
            message = parsed?.Errors?.FirstOrDefault()?.Message;
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            // Not a spec error body: the status says enough.
        }
        // A HEAD answer has no body: give the spec's code for the status, as docker words it.
        (code, message) = (code, message, status) switch
        {
            (null, _, 401) => ("UNAUTHORIZED", "authentication required"),
            (null, _, 403) => ("DENIED", "requested access to the resource is denied"),
            _ => (code, message),
        };
        string detail = code is null ? $"{status} {response.ReasonPhrase}" : $"{code.ToLowerInvariant().Replace('_', ' ')}: {message}";
        if (response.StatusCode == HttpStatusCode.TooManyRequests) detail = "toomanyrequests: " + (message ?? "too many requests") + (response.Headers.RetryAfter is { } ra ? $" (Retry-After {ra})" : "");
        var kind = code switch
        {
            "BLOB_UNKNOWN" or "MANIFEST_UNKNOWN" or "NAME_UNKNOWN" => ErrorKind.NotFound,
            "UNAUTHORIZED" => ErrorKind.Unauthenticated,
            "DENIED" => ErrorKind.PermissionDenied,
            "UNSUPPORTED" => ErrorKind.NotImplemented,
            _ => RegistryException.KindOf(status),
        };
        return new RegistryException(kind, $"{subject}: {detail}", code, status);
    }

    /// <summary>How a repository is named in messages: <c>localhost:5000/app</c>.</summary>
    private string Subject(string repository, string? what = null) =>
        $"{Domain}/{repository}" + (Mirror is null ? "" : $" (mirror {Mirror.GetLeftPart(UriPartial.Authority)})") + (what is null ? "" : $": {what}");

    public void Dispose()
    {
        _http.Dispose();
        _foreign?.Dispose();
    }

    private static StringContent Empty() => new("", Encoding.UTF8);
}
