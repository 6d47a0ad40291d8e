using System.Net;
using System.Text;
using System.Text.Json;

namespace Berth.Api.Tests;

/// <summary><c>GET /containers/{id}/logs</c> as clients use it right after a start, attach's log replay, and
/// <c>docker import -</c> (a body streamed into the engine, as logs stream out of it).</summary>
[Collection("api")]
public sealed class LogTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> CreateAsync(HttpClient http, string json)
    {
        using var created = await http.PostAsync("/v1.47/containers/create", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await created.Content.ReadAsStringAsync(Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("Id").GetString()!;
    }

    private static async Task StartAsync(HttpClient http, string id)
    {
        using var started = await http.PostAsync($"/v1.47/containers/{id}/start", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, started.StatusCode);
    }

    /// <summary>The payloads of docker's multiplexed frames (8-byte header: stream, 0, 0, 0, big-endian length).</summary>
    private static string Demultiplex(byte[] bytes)
    {
        var text = new StringBuilder();
        for (var i = 0; i + 8 <= bytes.Length;)
        {
            var length = (bytes[i + 4] << 24) | (bytes[i + 5] << 16) | (bytes[i + 6] << 8) | bytes[i + 7];
            text.Append(Encoding.UTF8.GetString(bytes, i + 8, length));
            i += 8 + length;
        }
        return text.ToString();
    }

    [Fact]
    public async Task TheLogFileExistsOnceTheStartHasReturned()
    {
        // dockerd makes the json-file log before the start returns; a client that follows the log right after the
        // start (docker-py's run) must find the file its output goes to, not an empty stream that ends at once.
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        var id = await CreateAsync(http, "{\"Image\":\"busybox:latest\",\"Cmd\":[\"sleep\",\"30\"]}");
        await StartAsync(http, id);
        var inspect = JsonDocument.Parse(await http.GetStringAsync($"/v1.47/containers/{id}/json", Ct)).RootElement;
        var logPath = inspect.GetProperty("LogPath").GetString()!;
        Assert.True(File.Exists(logPath), $"no log file at {logPath} after the start returned");
        s.Berth.Ok("rm", "-f", id);
    }

    [Fact]
    public async Task AFollowerOpenedBeforeTheRemoveGetsTheWholeOutput()
    {
        // docker-py's containers.run(remove=True) asks for logs?follow=1, waits, removes the container, and only then
        // reads the stream: what the container wrote must still come (it came back empty once, issue 12).
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        for (var i = 0; i < 5; i++)
        {
            var id = await CreateAsync(http, $"{{\"Image\":\"busybox:latest\",\"Cmd\":[\"echo\",\"v={i}\"]}}");
            await StartAsync(http, id);
            using var logs = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1.47/containers/{id}/logs?stdout=1&stderr=1&follow=1"),
                HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
            using (var wait = await http.PostAsync($"/v1.47/containers/{id}/wait", null, Ct))
                Assert.Contains("\"StatusCode\":0", await wait.Content.ReadAsStringAsync(Ct));
            using (var removed = await http.DeleteAsync($"/v1.47/containers/{id}", Ct))
                Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
            var body = await logs.Content.ReadAsByteArrayAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            Assert.Equal($"v={i}\n", Demultiplex(body));
        }
    }

    [Fact]
    public async Task AttachWithLogsReplaysTheLogFirst()
    {
        // attach?logs=1 (docker-py's attach(logs=True), Docker.DotNet's AttachContainer) gives what the container
        // wrote before the attach, framed as the live output; alone it works on a stopped container too. A live
        // attach to a stopped container waits for its next start (docker start -a attaches first), as dockerd's.
        using var s = new ApiStore(image);
        using var http = s.Daemon.Http();
        var id = await CreateAsync(http, "{\"Image\":\"busybox:latest\",\"Cmd\":[\"sh\",\"-c\",\"echo first; echo err >&2; sleep 300\"]}");
        await StartAsync(http, id);
        Berth.Testing.Wait.For(() => s.Berth.Ok("logs", id).Contains("first", StringComparison.Ordinal), "the container's first line in its log");
        using (var attach = await http.PostAsync($"/v1.47/containers/{id}/attach?logs=1&stream=0&stdout=1", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, attach.StatusCode);
            Assert.Equal("first\n", Demultiplex(await attach.Content.ReadAsByteArrayAsync(Ct)));
        }
        s.Berth.Ok("rm", "-f", id);
        var stopped = await CreateAsync(http, "{\"Image\":\"busybox:latest\",\"Cmd\":[\"echo\",\"done\"]}");
        await StartAsync(http, stopped);
        using (var wait = await http.PostAsync($"/v1.47/containers/{stopped}/wait", null, Ct)) await wait.Content.ReadAsStringAsync(Ct);
        using (var attach = await http.PostAsync($"/v1.47/containers/{stopped}/attach?logs=1&stdout=1&stderr=1", null, Ct))
            Assert.Equal("done\n", Demultiplex(await attach.Content.ReadAsByteArrayAsync(Ct)));
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.47/containers/{stopped}/attach?stream=1&stdout=1"))
        using (var live = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            await StartAsync(http, stopped);
            Assert.Equal("done\n", Demultiplex(await live.Content.ReadAsByteArrayAsync(Ct)));
        }
    }

    [Fact]
    public void ImportFromTheRequestBody()
    {
        // docker import - (and SDKs' import_image) is POST /images/create?fromSrc=- with the tar as the body (a URL
        // source is downloaded: ImportUrlTests).
        using var s = new ApiStore(image);
        var imported = s.Daemon.DockerWithStdin(image.Tar, "import", "--change", "CMD [\"echo\", \"imported\"]", "-", "imp:1");
        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", imported.Stdout);
        Assert.Equal("imported\n", s.DockerOk("run", "--rm", "imp:1"));
    }
}
