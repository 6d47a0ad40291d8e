using System.Net;
using System.Text;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>What a client gets for bad requests and under load: dockerd's status codes, a JSON message naming the
/// problem, and a daemon that stays up.</summary>
[Collection("api")]
public sealed class BadInputTests(BusyboxFixture image)
{
    private static async Task<(HttpStatusCode Status, string Body)> Send(HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static string OversizeRequest(string socket, int length)
    {
        using var sock = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        sock.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
        sock.Send(Encoding.ASCII.GetBytes($"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{\"Image\":\"busybox:latest\",\"Env\":[\"xxxx"));
        sock.ReceiveTimeout = 30_000;
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().Contains("}\n", StringComparison.Ordinal))
        {
            var n = sock.Receive(buffer);
            if (n <= 0) break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    [Fact]
    public void AnUnknownDaemonFlagIsAUsageError()
    {
        // dockerd's usage errors exit 125 and name the flag; nothing is served, no store is touched.
        var r = Run.Tool(RepoPaths.BerthBinary, ["daemon", "--bogus"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("'--bogus'", r.Stderr);
        Assert.Contains("See 'berth daemon --help'.", r.Stderr);
    }

    [Fact]
    public async Task PingAndVersionNegotiation()
    {
        // Clients negotiate from the ping's headers; a version outside 1.24-1.47 gets dockerd's 400 and words.
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/_ping"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("1.47", head.Headers.GetValues("Api-Version").Single());
            Assert.Equal("linux", head.Headers.GetValues("Ostype").Single());
            Assert.Equal("false", head.Headers.GetValues("Docker-Experimental").Single());
        }
        Assert.Equal((HttpStatusCode.OK, "OK"), await Send(http, HttpMethod.Get, "/_ping"));
        var tooNew = await Send(http, HttpMethod.Get, "/v1.99/version");
        Assert.Equal(HttpStatusCode.BadRequest, tooNew.Status);
        Assert.Equal("{\"message\":\"client version 1.99 is too new. Maximum supported API version is 1.47\"}\n", tooNew.Body);
        var tooOld = await Send(http, HttpMethod.Get, "/v1.12/version");
        Assert.Equal(HttpStatusCode.BadRequest, tooOld.Status);
        Assert.Contains("client version 1.12 is too old. Minimum supported API version is 1.24", tooOld.Body);
        Assert.Equal(HttpStatusCode.OK, (await Send(http, HttpMethod.Get, "/v1.24/version")).Status);
        Assert.Equal((HttpStatusCode.NotFound, "{\"message\":\"page not found\"}\n"), await Send(http, HttpMethod.Get, "/v1.47/nosuch/endpoint"));
        // Errors carry the same headers as answers (dockerd sets them before routing): a client that negotiates from
        // a failed request, or reads the server's version from it, finds them.
        foreach (var path in (string[])["/v1.47/containers/nosuch/json", "/v1.99/version", "/v1.47/nosuch/endpoint"])
        {
            using var failed = await http.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.True(failed.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {failed.StatusCode}");
            Assert.Equal("1.47", failed.Headers.GetValues("Api-Version").Single());
            Assert.Equal("linux", failed.Headers.GetValues("Ostype").Single());
            Assert.StartsWith("berth/", failed.Headers.Server.ToString());
        }
    }

    [Fact]
    public async Task BindsAndMountsAreTypedAndRefusedWithDockerdsWords()
    {
        // HostConfig.Binds and HostConfig.Mounts become the engine's typed mounts; a bad one is the client's 400 with
        // dockerd's message, and nothing is created; good ones are mounted and shown back as dockerd shows them.
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        var host = s.Dir.Combine("bound");
        Directory.CreateDirectory(host);
        async Task Refused(string hostConfig, string message)
        {
            var r = await Send(http, HttpMethod.Post, "/v1.47/containers/create", $"{{\"Image\":\"busybox:latest\",\"HostConfig\":{hostConfig}}}");
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(message, System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("message").GetString());
        }
        await Refused($"{{\"Binds\":[\"{host}:/x:bad\"]}}", "invalid mode: bad");
        await Refused("{\"Binds\":[\"/a:rel\"]}", "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute");
        await Refused("{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/no/such/dir\",\"Target\":\"/x\"}]}",
            "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir");
        await Refused("{\"Mounts\":[{\"Type\":\"npipe\",\"Target\":\"/x\"}]}", "invalid mount config for type \"npipe\": mount type unknown");
        await Refused("{\"Mounts\":[{\"Type\":\"tmpfs\",\"Source\":\"/tmp\",\"Target\":\"/x\"}]}",
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
        Assert.Equal("", s.Berth.Ok("ps", "-aq"));
        Assert.Equal("", s.Berth.Ok("volume", "ls", "-q"));

        var created = await Send(http, HttpMethod.Post, "/v1.47/containers/create?name=m",
            $"{{\"Image\":\"busybox:latest\",\"Cmd\":[\"true\"],\"HostConfig\":{{\"Binds\":[\"{host}:/host:ro\"],\"Mounts\":[{{\"Type\":\"volume\",\"Source\":\"v1\",\"Target\":\"/v\"}}]}}}}");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal($"[\"{host}:/host:ro\"]\n", s.Berth.Ok("inspect", "-f", "{{json .HostConfig.Binds}}", "m"));
        Assert.Equal("bind false volume true \n", s.Berth.Ok("inspect", "-f", "{{range .Mounts}}{{.Type}} {{.RW}} {{end}}", "m"));
    }

    [Fact]
    public async Task MalformedJsonUnknownFieldsAndOversizeBodies()
    {
        // A body that is not JSON is the client's error (400, naming it), not the daemon's (500); fields a newer
        // client sends are ignored, as dockerd does; a body over the bound is refused (413) without reading it all.
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        var bad = await Send(http, HttpMethod.Post, "/v1.47/containers/create", "{\"Image\": \"busybox:latest\", ");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.StartsWith("{\"message\":\"invalid JSON in request body:", bad.Body);
        var wrongType = await Send(http, HttpMethod.Post, "/v1.47/containers/create", "{\"Image\": \"busybox:latest\", \"Tty\": \"yes\"}");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        var created = await Send(http, HttpMethod.Post, "/v1.47/containers/create?name=unk",
            "{\"Image\":\"busybox:latest\",\"Cmd\":[\"true\"],\"FutureField\":{\"x\":[1,2]},\"HostConfig\":{\"ConsoleSize\":[0,0],\"Brand\":\"new\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"GwPriority\":0}}}}");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Matches("^\\{\"Id\":\"[0-9a-f]{64}\",\"Warnings\":\\[\\]\\}\n$", created.Body);
        Assert.Equal("unk\n", s.Berth.Ok("ps", "-a", "--format", "{{.Names}}"));
        var noImage = await Send(http, HttpMethod.Post, "/v1.47/containers/create", "{\"Image\":\"nosuch:1\"}");
        // 404, not another status: the docker CLI pulls the image when create answers 404.
        Assert.Equal(HttpStatusCode.NotFound, noImage.Status);
        Assert.Contains("nosuch:1", noImage.Body);
        // Announced as 8 MiB, of which the first bytes are sent: refused from the announced length, before the rest.
        var tooBig = OversizeRequest(s.Daemon.Socket, 8 << 20);
        Assert.StartsWith("HTTP/1.1 413 ", tooBig);
        Assert.Contains("{\"message\":", tooBig);
        var badFilter = await Send(http, HttpMethod.Get, "/v1.47/containers/json?filters=%7Bnot-json");
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.Status);
        Assert.Contains("invalid filter", badFilter.Body);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(http, HttpMethod.Get, "/v1.47/containers/nosuch/json")).Status);
        // The daemon is still there, and the store as it was.
        Assert.Equal(HttpStatusCode.OK, (await Send(http, HttpMethod.Get, "/_ping")).Status);
        Assert.Equal("unk\n", s.Berth.Ok("ps", "-a", "--format", "{{.Names}}"));
    }

    [Fact]
    public async Task AThousandConcurrentRequestsAllAnswered()
    {
        // Load from many clients at once, reads mixed with creates and removes that write the store: each request is
        // answered (bounded work queue, not refused), the daemon stays up and small, and the store stays consistent.
        using var s = new ApiStore(image);
        s.Berth.Ok("create", "--name", "c1", "busybox:latest", "true");
        using var http = s.Daemon.Http(TimeSpan.FromMinutes(3));
        var paths = new[] { "/v1.47/containers/json?all=1", "/v1.47/images/json", "/v1.47/containers/c1/json", "/v1.47/info", "/_ping", "/v1.47/version" };
        async Task<(HttpStatusCode Status, string Body)> CreateAndRemove(int i)
        {
            var created = await Send(http, HttpMethod.Post, $"/v1.47/containers/create?name=load{i}", "{\"Image\":\"busybox:latest\",\"Cmd\":[\"true\"]}");
            if (created.Status != HttpStatusCode.Created) return created;
            var removed = await Send(http, HttpMethod.Delete, $"/v1.47/containers/load{i}?v=1");
            return removed.Status == HttpStatusCode.NoContent ? (HttpStatusCode.OK, created.Body) : removed;
        }
        // One in ten is a create and its remove.
        var tasks = Enumerable.Range(0, 1000)
            .Select(i => i % 10 == 9 ? CreateAndRemove(i) : Send(http, HttpMethod.Get, paths[i % paths.Length])).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        Assert.All(results, r => Assert.True(r.Status == HttpStatusCode.OK, $"{(int)r.Status} {r.Body}"));
        Assert.All(results.Where((_, i) => i % paths.Length == 0 && i % 10 != 9), r => Assert.Contains("\"/c1\"", r.Body));
        var rss = File.ReadAllLines($"/proc/{s.Daemon.Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kb < 256 * 1024, $"daemon resident memory after the load: {rss}");
        Assert.Equal(HttpStatusCode.OK, (await Send(http, HttpMethod.Get, "/_ping")).Status);
        // Every create was removed: the store holds c1 only, and nothing of the others (layers, directories, rows).
        Assert.Equal("c1\n", s.Berth.Ok("ps", "-a", "--format", "{{.Names}}"));
        Assert.Equal([s.Berth.Ok("inspect", "-f", "{{.Id}}", "c1").Trim()], Directory.GetDirectories(Path.Combine(s.Berth.Root, "containers")).Select(Path.GetFileName));
        var check = s.Berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
    }
}
