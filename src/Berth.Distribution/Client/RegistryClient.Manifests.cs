using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

public sealed partial class RegistryClient
{
    /// <summary>Fetches a manifest or index by tag or digest, at most <see cref="MaxManifestBytes"/>. By digest,
    /// the bytes are verified against it. Schema 1 and media types berth cannot use are refused here.</summary>
    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        string subject = Subject(repository, $"manifest {reference}");
        using var request = new HttpRequestMessage(HttpMethod.Get, await UrlAsync($"{repository}/manifests/{reference}", ct));
        foreach (var mt in ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mt));
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // dockerd's words: "manifest for NAME not found: " and the registry's error (code: message).
            var e = await ErrorAsync(response, subject, ct);
            var full = $"{Domain}/{repository}" + (Digest.TryParse(reference, out _) ? "@" : ":") + reference;
            var name = ImageReference.TryParse(full, out var parsed) ? parsed!.FamiliarName : full;
            var detail = e.Message.StartsWith(subject + ": ", StringComparison.Ordinal) ? e.Message[(subject.Length + 2)..] : "manifest unknown";
            throw new RegistryException(ErrorKind.NotFound, $"manifest for {name} not found: {detail}", e.Code, 404);
        }
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, subject, ct);
        if (response.Content.Headers.ContentLength is > MaxManifestBytes and var declared)
            throw new RegistryException(ErrorKind.InvalidArgument, $"{subject}: {declared} bytes is larger than the {MaxManifestBytes} bytes allowed for a manifest");
        var bytes = await ReadCappedAsync(response, MaxManifestBytes, subject, ct);
        var digest = Digest.Sha256(bytes);
        if (Digest.TryParse(reference, out var wanted))
        {
            var actual = wanted.Algorithm == "sha256" ? digest : Digest.Parse("sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(bytes)));
            if (actual != wanted) throw new DigestMismatchException(Subject(repository, "manifest"), wanted, actual, bytes.Length);
            digest = wanted;
        }
        string mediaType = MediaTypeOf(response.Content.Headers.ContentType?.MediaType, bytes, subject);
        return new FetchedManifest(bytes, mediaType, digest);
    }

    /// <summary>The media type of a manifest: the JSON's own <c>mediaType</c> when it has one, else the
    /// Content-Type. Schema 1 and anything else unknown are refused.</summary>
    internal static string MediaTypeOf(string? contentType, byte[] bytes, string subject)
    {
        MediaTypeProbe probe;
        try
        {
            probe = OciJson.Parse<MediaTypeProbe>(bytes, subject);
        }
        catch (BerthException e)
        {
            throw new RegistryException(ErrorKind.InvalidArgument, e.Message, inner: e);
        }
        if (probe.SchemaVersion == 1 || contentType is "application/vnd.docker.distribution.manifest.v1+json" or "application/vnd.docker.distribution.manifest.v1+prettyjws")
            throw new RegistryException(ErrorKind.NotImplemented, $"{subject}: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported: the image must be pushed again with a newer client");
        string? mt = probe.MediaType ?? (contentType is "application/json" or "text/plain" or null ? null : contentType);
        // A manifest without mediaType (allowed by OCI) is told apart by its shape.
        mt ??= probe.Manifests is not null ? MediaTypes.OciIndex : probe.Config is not null ? MediaTypes.OciManifest : null;
        if (!MediaTypes.IsManifest(mt) && !MediaTypes.IsIndex(mt))
            throw new RegistryException(ErrorKind.NotImplemented, $"{subject}: unsupported manifest media type \"{mt}\"");
        return mt!;
    }

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, int cap, string subject, CancellationToken ct)
    {
        await using var s = await response.Content.ReadAsStreamAsync(ct);
        var ms = new MemoryStream();
        var buffer = new byte[64 << 10];
        int n;
        try
        {
            while ((n = await s.ReadAsync(buffer, ct)) > 0)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > cap) throw new RegistryException(ErrorKind.InvalidArgument, $"{subject}: larger than the {cap} bytes allowed for a manifest");
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new RegistryException(ErrorKind.DataLoss, $"{subject}: connection broken after {ms.Length} bytes: {e.Message}", inner: e);
        }
        return ms.ToArray();
    }

    /// <summary>Whether the repository has the manifest of <paramref name="digest"/> (HEAD).</summary>
    public async Task<bool> ManifestExistsAsync(string repository, Digest digest, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, await UrlAsync($"{repository}/manifests/{digest}", ct));
        foreach (var mt in ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mt));
        using var response = await SendAsync(request, ct);
        if (response.IsSuccessStatusCode) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        throw await ErrorAsync(response, Subject(repository, $"manifest {digest}"), ct);
    }

    /// <summary>Stores a manifest under a tag or digest; returns the digest the registry reports (else ours).</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, await UrlAsync($"{repository}/manifests/{reference}", ct))
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, Subject(repository, $"manifest {reference}"), ct);
        return Digest.Sha256(bytes);
    }

    /// <summary>The repository's tags (<c>pull -a</c>).</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct)
    {
        var tags = new List<string>();
        string? next = $"{repository}/tags/list";
        for (int page = 0; next is not null && page < 1000; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, await UrlAsync(next, ct));
            using var response = await SendAsync(request, ct);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, Subject(repository, "tags"), ct);
            var bytes = await ReadCappedAsync(response, MaxManifestBytes, Subject(repository, "tags"), ct);
            try
            {
                tags.AddRange(JsonSerializer.Deserialize(bytes, DistributionJsonContext.Default.TagList)?.Tags ?? []);
            }
            catch (JsonException e)
            {
                throw new RegistryException(ErrorKind.InvalidArgument, $"{Subject(repository, "tags")}: invalid JSON: {e.Message}");
            }
            next = NextLink(response);
        }
        return tags;
    }

    /// <summary>The <c>Link: &lt;/v2/…?last=x&gt;; rel="next"</c> of a paginated answer, relative to /v2/.</summary>
    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links)
        {
            int open = link.IndexOf('<'), close = link.IndexOf('>');
            if (open < 0 || close < open || !link.Contains("rel=\"next\"", StringComparison.Ordinal)) continue;
            string target = link[(open + 1)..close];
            return target.StartsWith("/v2/", StringComparison.Ordinal) ? target[4..] : target;
        }
        return null;
    }
}
