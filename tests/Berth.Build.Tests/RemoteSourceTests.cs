using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class RemoteSourceTests(BuildFixture f)
{
    [Fact]
    public void AddUrlIsKeyedByTheContentItFetches()
    {
        // A URL is an input like a context file: the same bytes keep the cache, new bytes bust the step.
        var berth = f.Require();
        using var server = new FileServer();
        server.Files["/files/app.txt"] = "v1";
        var ctx = f.Context(("Dockerfile", $"FROM busybox\nADD {server.Url}/files/app.txt /dl/\nADD {server.Url}/files/app.txt /named.txt\nRUN cat /dl/app.txt > /copy\n"));
        var tag = Tag("url");
        BuildOk(berth, "-t", tag, ctx);
        var image = SavedImage.Of(berth, tag);
        Assert.Equal($"file 600 0:0 2 {SavedImage.Sha256("v1")}", image.Tree["dl/app.txt"]);
        Assert.Equal($"file 600 0:0 2 {SavedImage.Sha256("v1")}", image.Tree["named.txt"]);
        Assert.Contains(SavedImage.Sha12("v1"), image.Tree["copy"]);

        var again = BuildOk(berth, "-t", tag, ctx);
        Assert.DoesNotContain("running", again);
        server.Files["/files/app.txt"] = "v2";
        var changed = BuildOk(berth, "-t", tag, ctx);
        Assert.Contains($"running: ADD: {server.Url}/files/app.txt changed", changed);
        Assert.Contains(SavedImage.Sha12("v2"), SavedImage.Of(berth, tag).Tree["copy"]);
    }

    [Fact]
    public void AddChecksumIsVerifiedAndACachedStepFetchesNothing()
    {
        // --checksum pins the content: a wrong one fails the build and tags nothing; a right one makes the
        // cache key known before fetching, so a rebuild does not touch the network.
        var berth = f.Require();
        using var server = new FileServer();
        server.Files["/pinned.bin"] = "pinned content";
        var sum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("pinned content")));
        var ctx = f.Context(("Dockerfile", $"FROM busybox\nADD --checksum={sum} --chmod=644 {server.Url}/pinned.bin /p\n"));
        var tag = Tag("sum");
        BuildOk(berth, "-t", tag, ctx);
        Assert.Equal($"file 644 0:0 14 {SavedImage.Sha256("pinned content")}", SavedImage.Of(berth, tag).Tree["p"]);
        int requests = server.Requests;
        Assert.DoesNotContain("running", BuildOk(berth, "-t", tag, ctx));
        Assert.Equal(requests, server.Requests);

        var wrong = f.Context(("Dockerfile", $"FROM busybox\nADD --checksum=sha256:{new string('0', 64)} {server.Url}/pinned.bin /p\n"));
        var bad = Tag("badsum");
        var r = berth.Run("build", "-t", bad, wrong);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"ADD {server.Url}/pinned.bin: digest mismatch", r.Stderr);
        berth.AssertNoImage(bad);
    }

    [Fact]
    public void AnUnreachableUrlFailsNamingIt()
    {
        // The error must say which URL could not be fetched and why, and the build must tag nothing.
        var berth = f.Require();
        using var server = new FileServer();
        int closed;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            closed = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var tag = Tag("unreachable");
        var refused = berth.Run("build", "-t", tag, f.Context(("Dockerfile", $"FROM busybox\nADD http://127.0.0.1:{closed}/x /x\n")));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"ADD http://127.0.0.1:{closed}/x: failed to fetch", refused.Stderr);
        var missing = berth.Run("build", "-t", tag, f.Context(("Dockerfile", $"FROM busybox\nADD {server.Url}/nothing /x\n")));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"ADD {server.Url}/nothing: invalid response status 404", missing.Stderr);
        var copy = berth.Run("build", "-t", tag, f.Context(("Dockerfile", $"FROM busybox\nCOPY {server.Url}/x /x\n")));
        copy.AssertExit(1, "source can't be a URL for COPY");
        berth.AssertNoImage(tag);
    }

    [Fact]
    public void CopyFromAStageIsKeyedByTheFilesItCopies()
    {
        // A stage that runs again but makes the same files must not bust the steps that copy from it.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            FROM busybox AS build
            ARG REV=1
            RUN echo fixed > /out && echo $REV > /rev
            FROM busybox
            COPY --from=build /out /out
            RUN cat /out > /copy
            """));
        var tag = Tag("fromcontent");
        BuildOk(berth, "-t", tag, ctx);
        var other = BuildOk(berth, "-t", tag, "--build-arg", "REV=2", ctx);
        Assert.Matches(@"RUN echo fixed > /out && echo \$REV > /rev\n#\d+ running", other);
        Assert.Matches(@"COPY --from=build /out /out\n#\d+ CACHED", other);
        Assert.Matches(@"RUN cat /out > /copy\n#\d+ CACHED", other);

        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), File.ReadAllText(Path.Combine(ctx, "Dockerfile")).Replace("echo fixed", "echo changed", StringComparison.Ordinal));
        var changed = BuildOk(berth, "-t", tag, ctx);
        Assert.Contains("running: COPY: out changed", changed);
        Assert.Contains(SavedImage.Sha12("changed\n"), SavedImage.Of(berth, tag).Tree["copy"]);
    }

    /// <summary>A tiny HTTP server on 127.0.0.1 serving <see cref="Files"/> (404 for anything else) and counting
    /// requests.</summary>
    private sealed class FileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _requests;

        public FileServer()
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }
        public Dictionary<string, string> Files { get; } = [];
        public int Requests => Volatile.Read(ref _requests);

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                Interlocked.Increment(ref _requests);
                var path = ctx.Request.Url!.AbsolutePath;
                if (Files.TryGetValue(path, out var body))
                {
                    var bytes = Encoding.UTF8.GetBytes(body);
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                }
                else ctx.Response.StatusCode = 404;
                ctx.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
