using System.Net;
using System.Security.Cryptography;
using Berth.Oci.Errors;

namespace Berth.Build.Steps;

/// <summary>
/// <c>ADD https://…</c>: one file fetched over HTTP(S) into a directory of the store, hashed while it is written.
/// Redirects are followed; a connection that cannot be made, a non-2xx status or a stalled transfer fails with an
/// error naming the URL. BuildKit's <c>source/http</c> is the model: the file is 0600 unless <c>--chmod</c> says
/// otherwise, its mtime is the <c>Last-Modified</c> header, its name the last segment of the URL path.
/// </summary>
internal sealed class RemoteFile
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = DecompressionMethods.None, // the file is stored as served, like curl without --compressed
        AllowAutoRedirect = true,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // a large file may take long; stalls are caught per read below
    };

    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    public required string Url { get; init; }
    public required string HostPath { get; init; }
    public required string Digest { get; init; }
    public required long Size { get; init; }
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>True for the sources ADD fetches rather than reads from the context.</summary>
    public static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The file name a URL gives (its last path segment, unescaped), or null when the path has none.</summary>
    public static string? FileNameOf(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return null;
        var name = Uri.UnescapeDataString(uri.AbsolutePath.Split('/')[^1]);
        return name.Length == 0 || name is "." or ".." || name.Contains('/') ? null : name;
    }

    /// <summary>Checks a <c>--checksum</c> value: <c>sha256:</c> and 64 hex digits.</summary>
    public static string ParseChecksum(string value)
    {
        var v = value.Trim();
        if (!v.StartsWith("sha256:", StringComparison.Ordinal) || v.Length != 71 || v.AsSpan(7).ContainsAnyExcept("0123456789abcdefABCDEF"))
            throw BerthException.Invalid($"ADD --checksum={value}: expected sha256: and 64 hex digits");
        return v.ToLowerInvariant();
    }

    public static async Task<RemoteFile> FetchAsync(string url, string directory, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw BerthException.Invalid($"ADD {url}: not a valid URL");
        var path = Path.Combine(directory, "download");
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(StallTimeout);
        try
        {
            using var response = await Http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, stall.Token);
            if (!response.IsSuccessStatusCode)
            {
                var kind = response.StatusCode switch
                {
                    HttpStatusCode.NotFound or HttpStatusCode.Gone => ErrorKind.NotFound,
                    HttpStatusCode.Unauthorized => ErrorKind.Unauthenticated,
                    HttpStatusCode.Forbidden => ErrorKind.PermissionDenied,
                    _ => ErrorKind.Unavailable,
                };
                throw new BerthException(kind, $"ADD {url}: invalid response status {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(stall.Token))
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 16];
                while (true)
                {
                    stall.CancelAfter(StallTimeout); // a timeout for each read: slow is fine, stalled is not
                    int n = await body.ReadAsync(buffer, stall.Token);
                    if (n == 0) break;
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    size += n;
                }
            }
            if (response.Content.Headers.ContentLength is { } expected && expected != size)
                throw new BerthException(ErrorKind.Unavailable, $"ADD {url}: transfer ended after {size} of {expected} bytes");
            return new RemoteFile
            {
                Url = url, HostPath = path, Size = size, LastModified = response.Content.Headers.LastModified,
                Digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()),
            };
        }
        catch (HttpRequestException e)
        {
            throw new BerthException(ErrorKind.Unavailable, $"ADD {url}: failed to fetch: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BerthException(ErrorKind.Unavailable, $"ADD {url}: failed to fetch: no data for {StallTimeout.TotalSeconds:0}s");
        }
        catch (IOException e)
        {
            throw new BerthException(ErrorKind.Unavailable, $"ADD {url}: failed to fetch: {e.Message}", e);
        }
    }
}
