using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>Faults at the Engine API's edge: archives and paths aimed at the host, clients that hang up mid-stream or
/// read and send slowly, requests whose headers never end, and the error bodies every failure gets. The daemon stays
/// up and bounded (descriptors, threads, resident memory), and nothing lands outside a container's root.</summary>
[Collection("api")]
public sealed class FaultTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Tar(params TarEntry[] entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var e in entries) writer.WriteEntry(e);
        return buffer.ToArray();
    }

    private static PaxTarEntry FileEntry(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)), Mode = (UnixFileMode)0x1A4 };

    private static PaxTarEntry Symlink(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF };

    private static PaxTarEntry Hardlink(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1A4 };

    private static async Task<(HttpStatusCode Status, string Body)> PutArchive(HttpClient http, string container, string path, byte[] tar)
    {
        using var content = new ByteArrayContent(tar);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        using var response = await http.PutAsync($"/v1.47/containers/{container}/archive?path={Uri.EscapeDataString(path)}", content, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>GET archive of a file: its stat header's link target and the tar's single entry (its content, or
    /// "-> target" for a symlink).</summary>
    private static async Task<(HttpStatusCode Status, string Content, string Body)> GetArchive(HttpClient http, string container, string path)
    {
        using var response = await http.GetAsync($"/v1.47/containers/{container}/archive?path={Uri.EscapeDataString(path)}", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        if (response.StatusCode != HttpStatusCode.OK) return (response.StatusCode, "", Encoding.UTF8.GetString(bytes));
        using var reader = new TarReader(new MemoryStream(bytes));
        var entry = reader.GetNextEntry(copyData: true)!;
        var content = entry.EntryType == TarEntryType.SymbolicLink ? "-> " + entry.LinkName
            : entry.DataStream is null ? "" : new StreamReader(entry.DataStream).ReadToEnd();
        return (response.StatusCode, content, "");
    }

    private static string MessageOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;

    private static void Refused(HttpStatusCode status, string body, string named)
    {
        Assert.True(status == HttpStatusCode.BadRequest, $"expected 400, got {(int)status}: {body}");
        Assert.Contains(named, MessageOf(body));
    }

    private static string HostPathOf(string name) => Path.Combine("/", name);

    private static void StartContainer(ApiStore s, bool running)
    {
        if (running) s.Berth.Ok("run", "-d", "--name", "c", "busybox:latest", "sleep", "300");
        else s.Berth.Ok("create", "--name", "c", "busybox:latest", "true");
    }

    /// <summary>A host directory holding a canary file, as a tar's symlinks and hard links would aim at.</summary>
    private static string Canary(ApiStore s)
    {
        var outside = s.Dir.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "canary"), "host");
        return outside;
    }

    private static void AssertCanaryUntouched(string outside)
    {
        Assert.Equal(["canary"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("host", File.ReadAllText(Path.Combine(outside, "canary")));
        // A hard link from inside the container would raise its link count.
        Assert.Equal("1\n", Run.Tool("stat", ["-c", "%h", Path.Combine(outside, "canary")]).Stdout);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ArchivePutKeepsEveryEntryInsideTheContainer(bool running)
    {
        // PUT /containers/{id}/archive (docker cp) extracts a tar anyone on the socket sends: "..", absolute names,
        // symlinks and hard links aimed at the host, and a path parameter that climbs, all stay inside the container's
        // root (dockerd extracts chrooted into it); names climbing out of the extraction directory are refused.
        using var s = new ApiStore(image);
        var outside = Canary(s);
        var marker = "berth-fault-" + Guid.NewGuid().ToString("N")[..8];
        StartContainer(s, running);
        using var http = s.Daemon.Http();

        // ".." above the extraction directory: refused by name, nothing written anywhere.
        var (status, body) = await PutArchive(http, "c", "/tmp", Tar(FileEntry("../" + marker, "x")));
        Refused(status, body, "../" + marker);
        (status, body) = await PutArchive(http, "c", "/tmp", Tar(FileEntry("a/../../" + marker, "x")));
        Refused(status, body, "a/../../" + marker);
        Assert.Equal(HttpStatusCode.NotFound, (await GetArchive(http, "c", "/" + marker)).Status);

        // An absolute name is rooted in the extraction directory, not the host's root.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/", Tar(FileEntry("/" + marker + "/abs", "abs")))).Status);
        Assert.Equal("abs", (await GetArchive(http, "c", $"/{marker}/abs")).Content);
        Assert.False(Path.Exists(HostPathOf(marker)));

        // "link -> /" then "link/etc/NAME": the link resolves to the container's root, the file lands in its /etc.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/tmp", Tar(Symlink("link", "/"), FileEntry($"link/etc/{marker}", "etc")))).Status);
        Assert.Equal("etc", (await GetArchive(http, "c", $"/etc/{marker}")).Content);
        Assert.False(Path.Exists(Path.Combine("/etc", marker)));

        // A relative link climbing above the root stops at the container's root.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/tmp", Tar(Symlink("up", "../../../../../../.."), FileEntry($"up/{marker}-up", "up")))).Status);
        Assert.Equal("up", (await GetArchive(http, "c", $"/{marker}-up")).Content);
        Assert.False(Path.Exists(HostPathOf(marker + "-up")));

        // A link to the host directory, then a file through it: the container has no such directory, so it is refused.
        (status, body) = await PutArchive(http, "c", "/", Tar(Symlink("out", outside), FileEntry("out/pwned", "x")));
        Refused(status, body, "out/pwned");

        // Hard links to the host's canary: absolute (rooted in the container, where it does not exist), climbing, and
        // through a symlink to the host directory.
        (status, body) = await PutArchive(http, "c", "/", Tar(Hardlink("h1", outside + "/canary")));
        Refused(status, body, "h1");
        (status, body) = await PutArchive(http, "c", "/tmp", Tar(Hardlink("h2", "../../../../../../.." + outside + "/canary")));
        Refused(status, body, "h2");
        (status, body) = await PutArchive(http, "c", "/", Tar(Symlink("out2", outside), Hardlink("h3", "out2/canary")));
        Refused(status, body, "h3");

        // A hard link to an absolute name links the container's file.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/", Tar(FileEntry($"{marker}-target", "mine"), Hardlink($"{marker}-hard", $"/{marker}-target")))).Status);
        Assert.Equal("mine", (await GetArchive(http, "c", $"/{marker}-hard")).Content);

        // A path parameter that climbs is the container's root.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/../../", Tar(FileEntry(marker + "-top", "top")))).Status);
        Assert.Equal("top", (await GetArchive(http, "c", $"/{marker}-top")).Content);
        Assert.False(Path.Exists(HostPathOf(marker + "-top")));
        // …and a path through a link to the host directory is the container's (missing) directory.
        (status, body) = await PutArchive(http, "c", "/out", Tar(FileEntry("pwned", "x")));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Could not find the file /out in container c", MessageOf(body));

        // A compressed archive is taken too: dockerd decompresses before extracting.
        using (var gz = new MemoryStream())
        {
            using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                z.Write(Tar(FileEntry(marker + "-gz", "gz")));
            Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/", gz.ToArray())).Status);
        }
        Assert.Equal("gz", (await GetArchive(http, "c", $"/{marker}-gz")).Content);

        AssertCanaryUntouched(outside);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/_ping", Ct)).StatusCode);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ArchiveGetAndHeadReadTheContainersFileThroughEscapingLinks(bool running)
    {
        // GET and HEAD archive follow the links of a path inside the container's root: a link to a host path names
        // the container's path of that name, never the host's file.
        using var s = new ApiStore(image);
        var outside = Canary(s);
        StartContainer(s, running);
        using var http = s.Daemon.Http();
        var climbing = string.Concat(Enumerable.Repeat("../", 12)) + outside.TrimStart('/');
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/", Tar(Symlink("esc", outside), Symlink("rel", climbing)))).Status);

        // The container has no such directory yet: not found, as dockerd says it.
        foreach (var path in new[] { "/esc/canary", "/rel/canary", "/../../../.." + outside + "/canary" })
        {
            var (status, _, body) = await GetArchive(http, "c", path);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal($"Could not find the file {path} in container c", MessageOf(body));
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1.47/containers/c/archive?path={Uri.EscapeDataString(path)}"), Ct);
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }

        // The link itself is read as a link, its target resolved inside the root in the stat header.
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1.47/containers/c/archive?path=/rel"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            var stat = JsonDocument.Parse(Convert.FromBase64String(head.Headers.GetValues("X-Docker-Container-Path-Stat").Single())).RootElement;
            Assert.Equal(outside, stat.GetProperty("linkTarget").GetString());
        }
        Assert.Equal("-> " + outside, (await GetArchive(http, "c", "/esc")).Content);

        // Once the container has that directory, every way in reads the container's file.
        Assert.Equal(HttpStatusCode.OK, (await PutArchive(http, "c", "/", Tar(FileEntry(outside.TrimStart('/') + "/canary", "container")))).Status);
        foreach (var path in new[] { "/esc/canary", "/rel/canary", "/esc/../../../../../" + outside + "/canary" })
            Assert.Equal("container", (await GetArchive(http, "c", path)).Content);
        AssertCanaryUntouched(outside);
    }

    private static Socket Connect(ApiStore s)
    {
        var sock = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sock.Connect(new UnixDomainSocketEndPoint(s.Daemon.Socket));
        sock.ReceiveTimeout = 30_000;
        return sock;
    }

    /// <summary>Sends <paramref name="request"/> and reads until the response's head has come (and
    /// <paramref name="until"/> after it, when given).</summary>
    private static string SendAndReadHead(Socket sock, string request, string until = "\r\n\r\n")
    {
        sock.Send(Encoding.ASCII.GetBytes(request));
        var text = new StringBuilder();
        var buffer = new byte[8192];
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !text.ToString().Contains(until, StringComparison.Ordinal))
        {
            var n = sock.Receive(buffer);
            if (n <= 0) break;
            text.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    private static int Fds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static long Status(int pid, string field)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ClientsThatHangUpMidStreamLeaveNothingBehind()
    {
        // docker logs -f, events, stats and attach end by the client closing its connection (Ctrl-C): each stream the
        // daemon serves must end with it, its thread and descriptors freed, or a long-lived daemon runs out of both.
        using var s = new ApiStore(image);
        s.Berth.Ok("run", "-d", "--name", "quiet", "busybox:latest", "sleep", "300");
        // Attach streams end at the next write that fails, as dockerd's: this one writes often.
        s.Berth.Ok("run", "-d", "--name", "ticking", "busybox:latest", "sh", "-c", "while :; do echo tick; sleep 0.2; done");
        var pid = s.Daemon.Pid;
        string[] requests =
        [
            "GET /v1.47/containers/quiet/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\n\r\n",
            "GET /v1.47/events HTTP/1.1\r\nHost: berth\r\n\r\n",
            "GET /v1.47/containers/quiet/stats HTTP/1.1\r\nHost: berth\r\n\r\n",
            "POST /v1.47/containers/ticking/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
            "GET /v1.47/containers/ticking/logs?follow=1&stdout=1&tail=1 HTTP/1.1\r\nHost: berth\r\n\r\n",
        ];
        void HangUpOnEach(int rounds)
        {
            for (var i = 0; i < rounds; i++)
                foreach (var request in requests)
                {
                    using var sock = Connect(s);
                    var head = SendAndReadHead(sock, request);
                    Assert.True(head.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal) || head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal), head);
                    // Gone without a goodbye: a reset, as a killed client's kernel sends when data is unread.
                    sock.LingerState = new LingerOption(true, 0);
                }
        }
        // Once first, so what the daemon makes once (threads of the pool, caches) is in the baseline.
        HangUpOnEach(2);
        int fds = Fds(pid), threads = (int)Status(pid, "Threads");
        HangUpOnEach(60);
        // The streams notice within a write or a wait: the counts come back near where they were.
        var settled = Wait.Until(() => Fds(pid) <= fds + 10 && Status(pid, "Threads") <= threads + 16, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        Assert.True(settled, $"after 300 hang-ups: {Fds(pid)} descriptors (was {fds}), {Status(pid, "Threads")} threads (was {threads})\n" +
            string.Join('\n', Directory.GetFiles($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget).GroupBy(t => t?.Split(':')[0]).Select(g => $"{g.Key}: {g.Count()}")));
        using var http = s.Daemon.Http();
        Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
        Assert.Contains("tick", s.Berth.Ok("logs", "--tail", "1", "ticking"));
    }

    [Fact]
    public async Task ABuildWhoseClientHangsUpIsStoppedAndCleanedUp()
    {
        // A client that goes while a build streams its progress (Ctrl-C on docker build) cancels the build: its step
        // container is killed and its cgroup removed, instead of running on for nobody.
        using var s = new ApiStore(image);
        var pid = s.Daemon.Pid;
        var context = Tar(FileEntry("Dockerfile", "FROM busybox:latest\nRUN echo $((6*7))-running && sleep 120\n"));
        for (var i = 0; i < 3; i++)
        {
            using var sock = Connect(s);
            var head = $"POST /v1.47/build?t=hangup:{i}&networkmode=none&nocache=1 HTTP/1.1\r\nHost: berth\r\nContent-Type: application/x-tar\r\nContent-Length: {context.Length}\r\n\r\n";
            sock.Send([.. Encoding.ASCII.GetBytes(head), .. context]);
            var progress = new StringBuilder();
            var buffer = new byte[4096];
            while (!progress.ToString().Contains("42-running", StringComparison.Ordinal))
            {
                var n = sock.Receive(buffer);
                Assert.True(n > 0, $"the build ended before its step ran:\n{progress}");
                progress.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            Assert.NotEmpty(s.Berth.LeftoverCgroups());
            sock.LingerState = new LingerOption(true, 0);
        }
        Assert.True(Wait.Until(() => !s.Berth.LeftoverCgroups().Any(), TimeSpan.FromSeconds(30)),
            $"build steps still running after their clients left: {string.Join(", ", s.Berth.LeftoverCgroups())}");
        s.Berth.AssertNoImage("hangup:0");
        using var http = s.Daemon.Http();
        Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
        s.Berth.Ok("system", "check");
    }

    [Fact]
    public async Task ASlowReaderOfALargeExportNeitherBlocksOthersNorGrowsTheDaemon()
    {
        // A client reading a 200 MB export slowly (a slow disk, a pipe to a busy process) holds its stream, not the
        // daemon: other requests are answered meanwhile, and the export is not buffered in the daemon's memory.
        using var s = new ApiStore(image);
        s.Berth.Ok("run", "--name", "big", "busybox:latest", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=200");
        var pid = s.Daemon.Pid;
        using var http = s.Daemon.Http(TimeSpan.FromSeconds(30));
        Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
        var before = Status(pid, "VmRSS");

        using var sock = Connect(s);
        sock.ReceiveBufferSize = 16 << 10;
        var head = SendAndReadHead(sock, "GET /v1.47/containers/big/export HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", head);
        var buffer = new byte[16 << 10];
        long read = 0, peak = before;
        var slow = Stopwatch.StartNew();
        var pings = new List<TimeSpan>();
        while (slow.Elapsed < TimeSpan.FromSeconds(6))
        {
            read += sock.Receive(buffer);
            Thread.Sleep(20);
            if (pings.Count < slow.Elapsed.TotalSeconds)
            {
                var t = Stopwatch.StartNew();
                Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
                Assert.Contains("\"/big\"", await http.GetStringAsync("/v1.47/containers/json?all=1", Ct));
                pings.Add(t.Elapsed);
                peak = Math.Max(peak, Status(pid, "VmRSS"));
            }
        }
        Assert.True(read < 100 << 20, $"the slow reader read {read} bytes: not slow");
        // A reader that stops for a while (a pager's user reading a page) keeps its stream: dockerd sets no minimum rate.
        for (var i = 0; i < 8; i++)
        {
            var t = Stopwatch.StartNew();
            Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
            pings.Add(t.Elapsed);
            peak = Math.Max(peak, Status(pid, "VmRSS"));
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        }
        Assert.All(pings, p => Assert.True(p < TimeSpan.FromSeconds(2), $"a ping took {p} during the slow read"));
        // The rest at full speed, to the end (the request asked to close the connection after the response).
        while (true)
        {
            var n = sock.Receive(buffer);
            if (n <= 0) break;
            read += n;
            if (read % (32 << 20) < buffer.Length) peak = Math.Max(peak, Status(pid, "VmRSS"));
        }
        Assert.True(read > 200 << 20, $"the export ended after {read} bytes");
        peak = Math.Max(peak, Status(pid, "VmRSS"));
        Assert.True(peak - before < 64 << 10, $"the daemon grew from {before} kB to {peak} kB while streaming 200 MB to a slow reader");
    }

    [Fact]
    public async Task ASlowSenderIsServedAndOthersMeanwhile()
    {
        // A body that trickles in (cp from a slow pipe) is read as it comes, however slowly: dockerd sets no minimum
        // rate, and neither does berth; the daemon answers others meanwhile.
        using var s = new ApiStore(image);
        s.Berth.Ok("create", "--name", "c", "busybox:latest", "true");
        var tar = Tar(FileEntry("slow", new string('s', 4096)));
        using var http = s.Daemon.Http();
        using var sock = Connect(s);
        sock.Send(Encoding.ASCII.GetBytes($"PUT /v1.47/containers/c/archive?path=/ HTTP/1.1\r\nHost: berth\r\nContent-Type: application/x-tar\r\nContent-Length: {tar.Length}\r\n\r\n"));
        var sent = 0;
        var clock = Stopwatch.StartNew();
        // 10 bytes a second for the first 7 s, under Kestrel's default minimum (240 B/s after a 5 s grace).
        while (clock.Elapsed < TimeSpan.FromSeconds(7))
        {
            sock.Send(tar, sent, 10, SocketFlags.None);
            sent += 10;
            var t = Stopwatch.StartNew();
            Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
            Assert.True(t.Elapsed < TimeSpan.FromSeconds(2), $"a ping took {t.Elapsed} during the slow upload");
            await Task.Delay(TimeSpan.FromSeconds(1) - t.Elapsed, Ct);
        }
        sock.Send(tar, sent, tar.Length - sent, SocketFlags.None);
        var buffer = new byte[4096];
        var n = sock.Receive(buffer);
        Assert.StartsWith("HTTP/1.1 200 ", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(new string('s', 4096), (await GetArchive(http, "c", "/slow")).Content);
    }

    [Fact]
    public void ARequestWhoseHeadersNeverEndIsDropped()
    {
        // A connection that starts a request and never finishes its headers (a stuck or hostile client) is closed
        // after the header timeout (30 s, docs/robustness.md) instead of holding the daemon's resources for ever.
        using var s = new ApiStore(image);
        using var sock = Connect(s);
        sock.ReceiveTimeout = 60_000;
        sock.Send("GET /v1.47/info HTTP/1.1\r\nHost: berth\r\nX-Slow: "u8.ToArray());
        var clock = Stopwatch.StartNew();
        var buffer = new byte[4096];
        int n;
        try
        {
            n = sock.Receive(buffer);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            n = 0;
        }
        // Closed (Kestrel may say 408 first), not answered, and not before the timeout.
        Assert.True(n == 0 || Encoding.ASCII.GetString(buffer, 0, n).StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), Encoding.ASCII.GetString(buffer, 0, n));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(45));
    }

    [Fact]
    public async Task EveryErrorIsDockerdsJsonBody()
    {
        // Clients (the docker CLI, docker-py, Docker.DotNet) read the message of a failure from {"message": …} when
        // the Content-Type is JSON; anything else shows as a raw or empty error. So every path that fails, from the
        // router to deep in the engine, answers that body with its status.
        using var s = new ApiStore(image);
        s.Berth.Ok("run", "-d", "--name", "up", "busybox:latest", "sleep", "300");
        s.Berth.Ok("create", "--name", "down", "busybox:latest", "true");
        using var http = s.Daemon.Http();
        var cases = new (HttpMethod Method, string Path, string? Json, HttpStatusCode Status, string Message)[]
        {
            (HttpMethod.Post, "/v1.47/containers/create", "{\"Image\":", HttpStatusCode.BadRequest, "invalid JSON in request body"),
            (HttpMethod.Post, "/v1.47/containers/create", "{\"Image\":\"busybox:latest\",\"Cmd\":5}", HttpStatusCode.BadRequest, "Cmd: expected a string or a list of strings"),
            (HttpMethod.Get, "/v1.47/containers/json?filters=%7Bx", null, HttpStatusCode.BadRequest, "invalid filter"),
            (HttpMethod.Get, "/v1.47/containers/json?all=maybe", null, HttpStatusCode.BadRequest, "invalid value for all: maybe"),
            (HttpMethod.Post, "/v1.47/containers/up/stop?t=soon", null, HttpStatusCode.BadRequest, "invalid value for t: soon"),
            (HttpMethod.Get, "/v1.47/containers/up/logs", null, HttpStatusCode.BadRequest, "you must choose at least one stream"),
            (HttpMethod.Get, "/v1.47/containers/up/archive", null, HttpStatusCode.BadRequest, "path cannot be empty"),
            (HttpMethod.Get, "/v1.47/containers/nosuch/json", null, HttpStatusCode.NotFound, "No such container: nosuch"),
            (HttpMethod.Get, "/v1.47/images/nosuch:1/json", null, HttpStatusCode.NotFound, "No such image: nosuch:1"),
            (HttpMethod.Get, "/v1.47/volumes/nosuch", null, HttpStatusCode.NotFound, "no such volume"),
            (HttpMethod.Get, "/v1.47/networks/nosuch", null, HttpStatusCode.NotFound, "network nosuch not found"),
            (HttpMethod.Get, "/v1.47/containers/up/archive?path=/no/such", null, HttpStatusCode.NotFound, "Could not find the file /no/such in container up"),
            (HttpMethod.Get, "/v1.47/no/such/route", null, HttpStatusCode.NotFound, "page not found"),
            (HttpMethod.Put, "/v1.47/containers/json", null, HttpStatusCode.NotFound, "page not found"),
            (HttpMethod.Post, "/v1.47/containers/create?name=up", "{\"Image\":\"busybox:latest\"}", HttpStatusCode.Conflict, "is already in use"),
            (HttpMethod.Delete, "/v1.47/containers/up", null, HttpStatusCode.Conflict, "You cannot remove a running container"),
            (HttpMethod.Post, "/v1.47/containers/down/exec", "{\"Cmd\":[\"true\"]}", HttpStatusCode.Conflict, "is not running"),
            (HttpMethod.Delete, "/v1.47/images/busybox:latest", null, HttpStatusCode.Conflict, "conflict"),
        };
        foreach (var (method, path, json, status, message) in cases)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var what = $"{method} {path}: {(int)response.StatusCode} {response.Content.Headers.ContentType} {body}";
            Assert.True(response.StatusCode == status, what);
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", what);
            Assert.True(body.EndsWith('\n') && MessageOf(body).Contains(message, StringComparison.Ordinal), what);
        }

        // From deep in the engine: a container whose bundle the store lost is the daemon's failure (500), with a
        // message naming it, not a client's bad JSON.
        var spec = Path.Combine(s.Berth.Root, "containers", s.Berth.Ok("inspect", "-f", "{{.Id}}", "down").Trim(), "config.json");
        var good = File.ReadAllBytes(spec);
        File.WriteAllText(spec, "{not json");
        try
        {
            using var content = new ByteArrayContent(Tar(FileEntry("x", "x")));
            using var response = await http.PutAsync("/v1.47/containers/down/archive?path=/&copyUIDGID=1", content, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, body);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("request body", MessageOf(body));
            Assert.Contains("config.json", MessageOf(body));
        }
        finally
        {
            File.WriteAllBytes(spec, good);
        }
        Assert.Equal("OK", await http.GetStringAsync("/_ping", Ct));
    }
}
