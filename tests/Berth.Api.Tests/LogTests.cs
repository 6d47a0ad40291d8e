using System.Net;
using System.Text;
using System.Text.Json;

namespace Berth.Api.Tests;

/// <summary><c>GET /containers/{id}/logs</c> as clients use it right after a start.</summary>
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
}
