using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary><c>docker import URL</c> (<c>POST /images/create?fromSrc=URL</c>) and <c>berth import URL</c>: the tar is
/// downloaded from a server of the test's own on 127.0.0.1; a missing file, a port nobody listens on and a body
/// that is no tar are refused with dockerd's words, and nothing is stored.</summary>
[Collection("api")]
public sealed class ImportUrlTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Serves <c>/busybox.tar</c>, <c>/bad.tar</c> (text) and a 404 for anything else, until disposed.</summary>
    private sealed class TarServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public TarServer(string tar)
        {
            Port = FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try
                    {
                        ctx = await _listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }
                    byte[] body = ctx.Request.Url!.AbsolutePath switch
                    {
                        "/busybox.tar" => File.ReadAllBytes(tar),
                        "/bad.tar" => Encoding.UTF8.GetBytes("this is not a tar archive, just some text that goes on for a while\n"),
                        _ => Encoding.UTF8.GetBytes("no such file\n"),
                    };
                    if (ctx.Request.Url.AbsolutePath is not ("/busybox.tar" or "/bad.tar")) ctx.Response.StatusCode = 404;
                    ctx.Response.ContentLength64 = body.Length;
                    await ctx.Response.OutputStream.WriteAsync(body);
                    ctx.Response.Close();
                }
            });
        }

        public int Port { get; }
        public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on (taken and given back).</summary>
    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task DockerImportFromAUrl()
    {
        using var s = new ApiStore(image);
        using var server = new TarServer(image.Tar);
        var url = server.Url("/busybox.tar");
        // docker CLI 28 sends fromSrc=URL; off a terminal it shows the status lines, not the byte counts.
        var output = s.DockerOk("import", "--change", "CMD [\"echo\", \"from the url\"]", url, "fromurl:1");
        Assert.Matches($"^Downloading from {System.Text.RegularExpressions.Regex.Escape(url)}\nsha256:[0-9a-f]{{64}}\n$", output);
        Assert.Equal("from the url\n", s.DockerOk("run", "--rm", "fromurl:1"));
        Assert.Equal($"Imported from {url}\n", s.DockerOk("history", "--format", "{{.Comment}}", "fromurl:1"));

        // The progress stream as dockerd sends it: Downloading, Importing with the byte counts, the ID.
        using var http = s.Daemon.Http();
        using (var r = await http.PostAsync($"/v1.47/images/create?fromSrc={Uri.EscapeDataString(url)}&repo=fromurl&tag=2", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var lines = (await r.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal($"Downloading from {url}", lines[0].GetProperty("status").GetString());
            var importing = lines.Where(l => l.GetProperty("status").GetString() == "Importing").ToList();
            Assert.NotEmpty(importing);
            Assert.Equal(new FileInfo(image.Tar).Length, importing[^1].GetProperty("progressDetail").GetProperty("current").GetInt64());
            Assert.Equal(new FileInfo(image.Tar).Length, importing[^1].GetProperty("progressDetail").GetProperty("total").GetInt64());
            Assert.Matches("^sha256:[0-9a-f]{64}$", lines[^1].GetProperty("status").GetString());
        }

        var before = s.DockerOk("images", "-qa", "--no-trunc");
        // A file the server does not have: dockerd's GET error with the status and the body, as a 404.
        var missing = server.Url("/missing.tar");
        using (var r = await http.PostAsync($"/v1.47/images/create?fromSrc={Uri.EscapeDataString(missing)}", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal($"failed to GET {missing} with status 404 Not Found: no such file",
                JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("message").GetString());
        }
        s.Docker("import", missing).AssertExit(1, $"failed to GET {missing} with status 404 Not Found: no such file");
        // Nobody listening: Go's words for the refused connection, a 500.
        var closed = $"http://127.0.0.1:{FreePort()}/busybox.tar";
        using (var r = await http.PostAsync($"/v1.47/images/create?fromSrc={Uri.EscapeDataString(closed)}", null, Ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
            Assert.Contains("connect: connection refused", JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("message").GetString());
        }
        // Not a tar: the download has started, so the error comes in the stream; the CLI shows it and fails.
        var bad = s.Docker("import", server.Url("/bad.tar"), "bad:tar");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"Downloading from {server.Url("/bad.tar")}", bad.Stdout);
        Assert.Contains("not a tar archive", bad.Stderr);
        Assert.Equal(before, s.DockerOk("images", "-qa", "--no-trunc"));
        s.Berth.AssertNoImage("bad:tar");
    }

    [Fact]
    public void BerthImportFromAUrl()
    {
        using var s = new ApiStore(image);
        using var server = new TarServer(image.Tar);
        var url = server.Url("/busybox.tar");
        var output = s.Berth.Ok("import", url, "viaberth:url");
        Assert.Matches($"^Downloading from {System.Text.RegularExpressions.Regex.Escape(url)}\nsha256:[0-9a-f]{{64}}\n$", output);
        Assert.Contains("viaberth", s.Berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        var before = s.Berth.Ok("images", "-qa", "--no-trunc");
        var missing = server.Url("/nope.tar");
        s.Berth.Run("import", missing, "nope:tar").AssertExit(1, $"failed to GET {missing} with status 404 Not Found: no such file");
        s.Berth.Run("import", server.Url("/bad.tar"), "bad:tar").AssertExit(1, "not a tar archive");
        var closed = $"http://127.0.0.1:{FreePort()}/x.tar";
        s.Berth.Run("import", closed).AssertExit(1, $"Get \"{closed}\": dial tcp 127.0.0.1:");
        Assert.Equal(before, s.Berth.Ok("images", "-qa", "--no-trunc"));
    }
}
