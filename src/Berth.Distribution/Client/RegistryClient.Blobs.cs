using System.Net;
using System.Net.Http.Headers;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

public sealed partial class RegistryClient
{
    /// <summary>Opens a blob's body as it arrives (redirects to a CDN followed), from <paramref name="offset"/>
    /// on (a Range request, to resume a broken download). The caller hashes and checks the size: the stream is
    /// the registry's word only.</summary>
    public async Task<Stream> OpenBlobAsync(string repository, Descriptor blob, long offset, CancellationToken ct)
    {
        string subject = Subject(repository, $"blob {blob.Digest}");
        if (blob.Urls is { Count: > 0 } urls) return await OpenForeignAsync(subject, blob, urls, offset, ct);
        var request = new HttpRequestMessage(HttpMethod.Get, await UrlAsync($"{repository}/blobs/{blob.Digest}", ct));
        if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
        var response = await SendAsync(request, ct);
        try
        {
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, subject, ct);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
                throw new RegistryException(ErrorKind.Unavailable, $"{subject}: the registry cannot resume at byte {offset} (answered {(int)response.StatusCode})");
            if (response.Content.Headers.ContentLength is { } length && length != blob.Size - offset)
                throw new RegistryException(ErrorKind.DataLoss, $"{subject}: the registry sends {length + offset} bytes, the manifest says {blob.Size}");
            var body = await response.Content.ReadAsStreamAsync(ct);
            return new ResponseStream(body, response);
        }
        catch
        {
            response.Dispose();
            request.Dispose();
            throw;
        }
    }

    /// <summary>A foreign (non-distributable) layer comes from its descriptor's URLs, as dockerd fetches it: the
    /// first that answers wins, without the registry's credentials (they are not the registry's to receive);
    /// when none answers, the error names each URL and why.</summary>
    private async Task<Stream> OpenForeignAsync(string subject, Descriptor blob, IReadOnlyList<string> urls, long offset, CancellationToken ct)
    {
        var failures = new List<string>();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"{url}: not an http(s) URL");
                continue;
            }
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            HttpResponseMessage response;
            try
            {
                response = await Foreign.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                request.Dispose();
                failures.Add($"{url}: {e.Message}");
                continue;
            }
            bool usable = response.IsSuccessStatusCode && (offset == 0 || response.StatusCode == HttpStatusCode.PartialContent)
                          && (response.Content.Headers.ContentLength is not { } length || length == blob.Size - offset);
            if (usable) return new ResponseStream(await response.Content.ReadAsStreamAsync(ct), response);
            failures.Add($"{url}: answered {(int)response.StatusCode} {response.ReasonPhrase}" +
                         (response.IsSuccessStatusCode ? $" with {response.Content.Headers.ContentLength} bytes, expected {blob.Size - offset} from byte {offset}" : ""));
            response.Dispose();
            request.Dispose();
        }
        throw new RegistryException(ErrorKind.Unavailable, $"{subject}: foreign layer: none of its URLs could be downloaded ({string.Join("; ", failures)})");
    }

    private HttpClient Foreign => _foreign ??= new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 10,
    }) { Timeout = Timeout.InfiniteTimeSpan };

    private HttpClient? _foreign;

    /// <summary>Reads a small blob (an image config) whole and verifies its size and digest.</summary>
    public async Task<byte[]> GetBlobBytesAsync(string repository, Descriptor blob, int cap, CancellationToken ct)
    {
        string subject = Subject(repository, $"blob {blob.Digest}");
        if (blob.Size > cap) throw new RegistryException(ErrorKind.InvalidArgument, $"{subject}: {blob.Size} bytes is larger than the {cap} allowed");
        using var request = new HttpRequestMessage(HttpMethod.Get, await UrlAsync($"{repository}/blobs/{blob.Digest}", ct));
        using var response = await SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, subject, ct);
        var bytes = await ReadCappedAsync(response, cap, subject, ct);
        if (bytes.Length != blob.Size) throw new RegistryException(ErrorKind.DataLoss, $"{subject}: size {bytes.Length}, expected {blob.Size}");
        var actual = Digest.Sha256(bytes);
        if (blob.Digest.Algorithm == "sha256" && actual != blob.Digest) throw new DigestMismatchException(subject, blob.Digest, actual, bytes.Length);
        return bytes;
    }

    /// <summary>HEAD on a blob: whether the repository has it (push skips those).</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, await UrlAsync($"{repository}/blobs/{digest}", ct));
        using var response = await SendAsync(request, ct);
        if (response.IsSuccessStatusCode) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        throw await ErrorAsync(response, Subject(repository, $"blob {digest}"), ct);
    }

    /// <summary>Asks the registry to link a blob from another repository of the same registry
    /// (<c>POST …/blobs/uploads/?mount=&amp;from=</c>). True when mounted (201); false when the registry wants an
    /// upload instead (202; the session it opened is abandoned).</summary>
    public async Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post,
            await UrlAsync($"{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}", ct))
        {
            Content = new ByteArrayContent([]),
        };
        request.Options.Set(AuthHandler.ExtraScopes, [$"repository:{fromRepository}:pull"]);
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            if (response.Headers.Location is { } location)
            {
                using var cancel = new HttpRequestMessage(HttpMethod.Delete, Absolute(location));
                using var _ = await SendAsync(cancel, ct);
            }
            return false;
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) return false;
        throw await ErrorAsync(response, Subject(repository, $"blob {digest}"), ct);
    }

    /// <summary>Uploads a blob: a session is opened (POST), then the body is streamed in one PATCH (or, above
    /// <paramref name="chunkSize"/>, in chunks with <c>Content-Range</c>, each continuing at the offset the registry
    /// reports), and the upload is closed with PUT <c>?digest=</c>; the registry verifies the digest.</summary>
    public async Task UploadBlobAsync(string repository, Descriptor blob, Func<Stream> open, long chunkSize, IProgress<long>? progress, CancellationToken ct)
    {
        string subject = Subject(repository, $"blob {blob.Digest}");
        Uri location;
        using (var start = new HttpRequestMessage(HttpMethod.Post, await UrlAsync($"{repository}/blobs/uploads/", ct)) { Content = new ByteArrayContent([]) })
        using (var response = await SendAsync(start, ct))
        {
            if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.Location is null) throw await ErrorAsync(response, subject, ct);
            location = Absolute(response.Headers.Location);
        }
        await using var source = open();
        long offset = 0;
        var buffer = new byte[(int)Math.Min(chunkSize, 8 << 20)];
        while (offset < blob.Size)
        {
            long length = Math.Min(chunkSize, blob.Size - offset);
            var body = new BoundedStream(source, length);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StreamContent(body, 1 << 20) };
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.ContentLength = length;
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var response = await SendAsync(patch, ct);
            if (response.StatusCode != HttpStatusCode.Accepted) throw await ErrorAsync(response, subject, ct);
            if (response.Headers.Location is { } next) location = Absolute(next);
            offset += length;
            progress?.Report(offset);
        }
        var close = new UriBuilder(location);
        close.Query = (close.Query.Length > 1 ? close.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(blob.Digest.ToString());
        using (var put = new HttpRequestMessage(HttpMethod.Put, close.Uri) { Content = new ByteArrayContent([]) })
        using (var response = await SendAsync(put, ct))
        {
            if (response.StatusCode != HttpStatusCode.Created) throw await ErrorAsync(response, subject, ct);
        }
    }

    private Uri Absolute(Uri location) => location.IsAbsoluteUri ? location : new Uri(_base!, location);

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>The next <c>length</c> bytes of a stream, for one chunk of an upload.</summary>
    private sealed class BoundedStream(Stream inner, long size) : Stream
    {
        private readonly long _size = size;
        private long _left = size;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _size;
        public override long Position { get => _size - _left; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (n == 0) throw new EndOfStreamException($"the blob ended {_left} bytes early");
            _left -= n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_left <= 0) return 0;
            int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], ct);
            if (n == 0) throw new EndOfStreamException($"the blob ended {_left} bytes early");
            _left -= n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
