using System.Net;
using System.Net.Sockets;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Engine.Images;

/// <summary>A tar being downloaded for <c>import URL</c>: the address as dockerd shows it, the response body and
/// its length when the server gave one. Disposing it ends the download.</summary>
public sealed class ImportSource(Uri address, HttpClient client, HttpResponseMessage response, Stream body) : IDisposable
{
    public Uri Address { get; } = address;
    public Stream Body { get; } = body;
    public long? Length => response.Content.Headers.ContentLength;

    public void Dispose()
    {
        Body.Dispose();
        response.Dispose();
        client.Dispose();
    }
}

public sealed partial class ImageService
{
    /// <summary>The first half of <c>import URL</c> (dockerd's <c>fromSrc=URL</c>): a source without a scheme is
    /// http's, as dockerd reads it; the GET is made and its status checked before anything is imported, so a
    /// server's refusal (dockerd's <c>failed to GET URL with status 404 Not Found: BODY</c>, the status's kind) or
    /// an unreachable host (Go's <c>Get "URL": dial tcp …</c>) is the whole answer.</summary>
    public async Task<ImportSource> OpenImportSourceAsync(string source, CancellationToken ct)
    {
        var address = source.Contains("://", StringComparison.Ordinal) ? source : "http://" + source;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw BerthException.Invalid($"import: {source} is not an http or https URL");
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) }) { Timeout = Timeout.InfiniteTimeSpan };
        HttpResponseMessage? response = null;
        try
        {
            try
            {
                response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                throw new BerthException(e.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound } ? ErrorKind.NotFound : ErrorKind.Internal,
                    $"Get \"{address}\": {GoReason(uri, e)}", e);
            }
            var status = (int)response.StatusCode;
            if (status >= 400)
            {
                var body = await ReadBoundedAsync(response.Content, 64 * 1024, ct);
                var kind = response.StatusCode switch
                {
                    HttpStatusCode.NotFound => ErrorKind.NotFound,
                    HttpStatusCode.BadRequest => ErrorKind.InvalidArgument,
                    HttpStatusCode.Unauthorized => ErrorKind.Unauthenticated,
                    HttpStatusCode.Forbidden => ErrorKind.PermissionDenied,
                    _ => ErrorKind.Internal,
                };
                throw new BerthException(kind, $"failed to GET {address} with status {status} {response.ReasonPhrase}: {body.Trim()}");
            }
            var stream = await response.Content.ReadAsStreamAsync(ct);
            return new ImportSource(uri, client, response, stream);
        }
        catch
        {
            response?.Dispose();
            client.Dispose();
            throw;
        }
    }

    /// <summary>The second half: dockerd's <c>Downloading from URL</c>, then <c>Importing</c> with the bytes read so
    /// far (and the total when known), then the <see cref="Import(Stream, ImportOptions, CancellationToken)"/> of
    /// the body, which leaves nothing behind when the tar is bad or the download breaks off.</summary>
    public Digest Import(ImportSource source, ImportOptions options, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        progress?.Report(new PullProgress(null, $"Downloading from {source.Address}"));
        var total = source.Length ?? -1;
        using var counted = new ProgressStream(source.Body, read => progress?.Report(new PullProgress(null, "Importing", read, total)));
        return Import(counted, options, ct);
    }

    /// <summary>Go's words for a failed connection (<c>dial tcp HOST:PORT: connect: connection refused</c>).</summary>
    private static string GoReason(Uri uri, HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => $"dial tcp {uri.Host}:{uri.Port}: connect: connection refused",
        SocketException { SocketErrorCode: SocketError.HostNotFound } => $"dial tcp: lookup {uri.Host}: no such host",
        SocketException s => $"dial tcp {uri.Host}:{uri.Port}: {s.Message}",
        _ => e.Message,
    };

    private static async Task<string> ReadBoundedAsync(HttpContent content, int limit, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[limit];
        var length = 0;
        int n;
        while (length < limit && (n = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += n;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }
}
