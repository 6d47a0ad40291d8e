using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Distribution.Tests;

/// <summary>What a <see cref="FakeRegistry"/> does wrong.</summary>
public enum Fault
{
    None,
    DigestMismatch,
    TruncatedBody,
    CutOnceThenResume,
    ManifestNotFound,
    Unauthorized,
    TooManyRequestsOnce,
    TooManyRequestsForever,
    HugeManifest,
    NotATarLayer,
}

/// <summary>A registry in the test process (HttpListener on 127.0.0.1) serving one image, <c>fake/app:1</c>: a Docker
/// schema 2 manifest, its config and one gzip layer, with one injected <see cref="Fault"/>. It counts requests so
/// tests can check retries.</summary>
public sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Fault _fault;
    private readonly byte[] _layer, _config, _manifest;
    private int _manifestRequests, _blobRequests;

    public FakeRegistry(Fault fault)
    {
        _fault = fault;
        Port = FreePort();
        var tar = MakeTar(fault == Fault.NotATarLayer);
        _layer = fault == Fault.NotATarLayer ? tar : Gzip(tar);
        LayerDigest = Sha(_layer);
        _config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/hello\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Sha(tar) + "\"]}}");
        _manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":{{_config.Length}},"digest":"{{Sha(_config)}}"},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{{_layer.Length}},"digest":"{{LayerDigest}}"}]}
            """);
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string Image => $"{Host}/fake/app:1";
    public string LayerDigest { get; }
    public int ManifestRequests => _manifestRequests;
    public int BlobRequests => _blobRequests;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string Sha(byte[] b) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(b));

    private static byte[] MakeTar(bool garbage)
    {
        if (garbage) return Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not a tar archive. ", 100)));
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, "hello") { DataStream = new MemoryStream(Encoding.ASCII.GetBytes(new string('x', 100_000))) };
            w.WriteEntry(e);
        }
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] b)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(b);
        return ms.ToArray();
    }

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
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        string path = req.Url!.AbsolutePath;
        try
        {
            if (_fault == Fault.Unauthorized && path != "/v2/")
            {
                res.StatusCode = 401;
                res.AddHeader("WWW-Authenticate", "Basic realm=\"fake\"");
                await Json(res, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
                return;
            }
            if (path == "/v2/")
            {
                await Json(res, "{}");
                return;
            }
            if (path.StartsWith("/v2/fake/app/manifests/", StringComparison.Ordinal))
            {
                int n = Interlocked.Increment(ref _manifestRequests);
                if (_fault == Fault.TooManyRequestsForever || (_fault == Fault.TooManyRequestsOnce && n == 1))
                {
                    res.StatusCode = 429;
                    res.AddHeader("Retry-After", _fault == Fault.TooManyRequestsOnce ? "1" : "3600");
                    await Json(res, """{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
                    return;
                }
                if (_fault == Fault.ManifestNotFound)
                {
                    res.StatusCode = 404;
                    await Json(res, """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""");
                    return;
                }
                res.ContentType = "application/vnd.docker.distribution.manifest.v2+json";
                if (_fault == Fault.HugeManifest)
                {
                    var big = new byte[5 << 20];
                    big.AsSpan().Fill((byte)' ');
                    _manifest.CopyTo(big, 0);
                    res.ContentLength64 = big.Length;
                    await res.OutputStream.WriteAsync(big);
                }
                else
                {
                    res.ContentLength64 = _manifest.Length;
                    await res.OutputStream.WriteAsync(_manifest);
                }
                res.Close();
                return;
            }
            if (path.StartsWith("/v2/fake/app/blobs/", StringComparison.Ordinal))
            {
                string digest = path["/v2/fake/app/blobs/".Length..];
                byte[] body = digest == Sha(_config) ? _config : digest == LayerDigest ? _layer : [];
                if (body.Length == 0)
                {
                    res.StatusCode = 404;
                    await Json(res, """{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}""");
                    return;
                }
                if (body != _layer)
                {
                    res.ContentLength64 = body.Length;
                    await res.OutputStream.WriteAsync(body);
                    res.Close();
                    return;
                }
                int n = Interlocked.Increment(ref _blobRequests);
                switch (_fault)
                {
                    case Fault.DigestMismatch:
                    {
                        var wrong = (byte[])body.Clone();
                        wrong[^20] ^= 0xff; // inside the gzip data: still the declared size, not the declared digest
                        res.ContentLength64 = wrong.Length;
                        await res.OutputStream.WriteAsync(wrong);
                        res.Close();
                        return;
                    }
                    case Fault.TruncatedBody:
                        res.SendChunked = true;
                        await res.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2));
                        res.Close();
                        return;
                    case Fault.CutOnceThenResume when n == 1:
                        res.ContentLength64 = body.Length;
                        await res.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2));
                        await res.OutputStream.FlushAsync();
                        res.Abort();
                        return;
                    case Fault.CutOnceThenResume when req.Headers["Range"] is { } range:
                    {
                        long from = long.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
                        res.StatusCode = 206;
                        res.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
                        res.ContentLength64 = body.Length - from;
                        await res.OutputStream.WriteAsync(body.AsMemory((int)from));
                        res.Close();
                        return;
                    }
                    default:
                        res.ContentLength64 = body.Length;
                        await res.OutputStream.WriteAsync(body);
                        res.Close();
                        return;
                }
            }
            res.StatusCode = 404;
            await Json(res, """{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}""");
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away (it refused the body): nothing to answer.
        }
    }

    private static async Task Json(HttpListenerResponse res, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        res.ContentType = "application/json";
        res.ContentLength64 = bytes.Length;
        await res.OutputStream.WriteAsync(bytes);
        res.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
