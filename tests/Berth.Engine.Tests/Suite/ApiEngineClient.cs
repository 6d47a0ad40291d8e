using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Engine.Tests.Suite;

/// <summary>The suite's operations as Docker Engine API requests to a <c>berth daemon</c> over its unix socket, as
/// the docker CLI sends them (JSON bodies, query filters, the multiplexed log stream, the legacy builder's JSON
/// stream). An error status becomes the <see cref="ErrorKind"/> dockerd's status stands for, so the suite's error
/// assertions hold unchanged.</summary>
public sealed class ApiEngineClient(BerthDaemon daemon) : IEngineClient
{
    private readonly HttpClient _http = daemon.Http(TimeSpan.FromMinutes(3));

    public BerthDaemon Daemon => daemon;

    public async Task<string> ImportAsync(string tarPath, string reference, IReadOnlyList<string> changes, CancellationToken ct)
    {
        var colon = reference.LastIndexOf(':');
        var query = $"fromSrc=-&repo={Uri.EscapeDataString(reference[..colon])}&tag={Uri.EscapeDataString(reference[(colon + 1)..])}"
            + string.Concat(changes.Select(c => "&changes=" + Uri.EscapeDataString(c)));
        await using var tar = File.OpenRead(tarPath);
        var messages = await StreamAsync(HttpMethod.Post, "/images/create?" + query, new StreamContent(tar), ct);
        return messages.Last()["status"]!.GetValue<string>();
    }

    public Task TagImageAsync(string source, string target, CancellationToken ct)
    {
        var colon = target.LastIndexOf(':');
        return SendAsync(HttpMethod.Post, $"/images/{source}/tag?repo={Uri.EscapeDataString(target[..colon])}&tag={Uri.EscapeDataString(target[(colon + 1)..])}", null, ct);
    }

    public async Task<IReadOnlyList<ImageEntry>> ListImagesAsync(IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct)
    {
        var list = (await SendAsync(HttpMethod.Get, "/images/json" + Filters(filters, "?"), null, ct))!.AsArray();
        return list.SelectMany<JsonNode?, ImageEntry>(image =>
        {
            var id = image!["Id"]!.GetValue<string>();
            var tags = image["RepoTags"]?.AsArray().Select(t => t!.GetValue<string>()).ToList() ?? [];
            return tags.Count == 0 ? [new ImageEntry(null, id)] : tags.Select(t => new ImageEntry(t, id));
        }).ToList();
    }

    public async Task<string> InspectImageAsync(string nameOrId, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, $"/images/{nameOrId}/json", null, ct))!["Id"]!.GetValue<string>();

    public async Task<ImageRemoval> RemoveImageAsync(string nameOrId, CancellationToken ct)
    {
        var items = (await SendAsync(HttpMethod.Delete, $"/images/{nameOrId}", null, ct))!.AsArray();
        return new ImageRemoval(
            [.. items.Select(i => i!["Untagged"]?.GetValue<string>()).OfType<string>()],
            [.. items.Select(i => i!["Deleted"]?.GetValue<string>()).OfType<string>()]);
    }

    public async Task<ContainerState> CreateContainerAsync(ContainerSpec spec, CancellationToken ct)
    {
        var body = new JsonObject { ["Image"] = spec.Image };
        if (spec.Cmd is not null) body["Cmd"] = new JsonArray([.. spec.Cmd.Select(c => (JsonNode?)c)]);
        var hostConfig = new JsonObject { ["Binds"] = new JsonArray([.. spec.Volumes.Select(v => (JsonNode?)$"{v.Volume}:{v.Target}"), .. spec.Binds.Select(b => (JsonNode?)b)]) };
        if (spec.Network is { } network) hostConfig["NetworkMode"] = network;
        body["HostConfig"] = hostConfig;
        var created = await SendAsync(HttpMethod.Post, "/containers/create" + (spec.Name is null ? "" : "?name=" + Uri.EscapeDataString(spec.Name)), Json(body), ct);
        // The API answers the ID only (and warnings); the state is the inspect's, as the docker CLI would read it.
        return await InspectContainerAsync(created!["Id"]!.GetValue<string>(), ct);
    }

    public Task StartContainerAsync(string idOrName, CancellationToken ct) => SendAsync(HttpMethod.Post, $"/containers/{idOrName}/start", null, ct);

    public async Task<int> WaitContainerAsync(string idOrName, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Post, $"/containers/{idOrName}/wait", null, ct))!["StatusCode"]!.GetValue<int>();

    public async Task<IReadOnlyList<LogLine>> LogsAsync(string idOrName, CancellationToken ct)
    {
        using var response = await _http.GetAsync($"/containers/{idOrName}/logs?stdout=1&stderr=1", ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode) throw ErrorOf(response.StatusCode, Encoding.UTF8.GetString(bytes));
        // docker's stdcopy framing: [stream, 0, 0, 0, size (big-endian uint32)] then size bytes; a frame holds
        // one log entry.
        var lines = new List<LogLine>();
        for (int at = 0; at < bytes.Length;)
        {
            Assert.True(bytes.Length - at >= 8, $"a log frame header cut short at byte {at} of {bytes.Length}");
            var stream = bytes[at] switch { 1 => "stdout", 2 => "stderr", var s => throw new InvalidDataException($"log frame for stream {s}") };
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 4, 4));
            lines.Add(new LogLine(stream, Encoding.UTF8.GetString(bytes, at + 8, size)));
            at += 8 + size;
        }
        return lines;
    }

    public async Task<ContainerState> InspectContainerAsync(string idOrName, CancellationToken ct)
    {
        var c = (await SendAsync(HttpMethod.Get, $"/containers/{idOrName}/json", null, ct))!;
        var state = c["State"]!;
        return new ContainerState(c["Id"]!.GetValue<string>(), c["Name"]!.GetValue<string>().TrimStart('/'), state["Status"]!.GetValue<string>(),
            state["ExitCode"]!.GetValue<int>(), state["Pid"]!.GetValue<int>());
    }

    public async Task<IReadOnlyList<string>> ListContainersAsync(bool all, IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct) =>
        [.. (await SendAsync(HttpMethod.Get, $"/containers/json?all={(all ? 1 : 0)}" + Filters(filters, "&"), null, ct))!.AsArray().Select(c => c!["Id"]!.GetValue<string>())];

    public Task RemoveContainerAsync(string idOrName, bool force, bool removeVolumes, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"/containers/{idOrName}?force={force}&v={removeVolumes}", null, ct);

    public async Task<TopTable> TopAsync(string idOrName, IReadOnlyList<string> psArgs, CancellationToken ct)
    {
        var top = (await SendAsync(HttpMethod.Get, $"/containers/{idOrName}/top?ps_args={Uri.EscapeDataString(string.Join(' ', psArgs))}", null, ct))!;
        return new TopTable([.. top["Titles"]!.AsArray().Select(t => t!.GetValue<string>())],
            [.. top["Processes"]!.AsArray().Select(p => (IReadOnlyList<string>)[.. p!.AsArray().Select(f => f!.GetValue<string>())])]);
    }

    /// <summary>The API cannot say whether a create made the volume: dockerd answers 201 with the volume for a new
    /// name and for an existing one alike. So "created" is whether an inspect found none before the create; the
    /// create is sent either way, and must succeed for an existing volume too.</summary>
    public async Task<bool> EnsureVolumeAsync(string name, CancellationToken ct)
    {
        bool existed;
        try
        {
            await SendAsync(HttpMethod.Get, $"/volumes/{name}", null, ct);
            existed = true;
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
            existed = false;
        }
        var volume = (await SendAsync(HttpMethod.Post, "/volumes/create", Json(new JsonObject { ["Name"] = name }), ct))!;
        Assert.Equal(name, volume["Name"]!.GetValue<string>());
        return !existed;
    }

    public Task RemoveVolumeAsync(string name, bool force, CancellationToken ct) => SendAsync(HttpMethod.Delete, $"/volumes/{name}?force={force}", null, ct);

    public async Task<IReadOnlyList<string>> ListVolumesAsync(CancellationToken ct) =>
        [.. ((await SendAsync(HttpMethod.Get, "/volumes", null, ct))!["Volumes"]?.AsArray() ?? []).Select(v => v!["Name"]!.GetValue<string>())];

    /// <summary><c>POST /build</c> with the context as a tar and the Dockerfile added to it (as the docker CLI sends
    /// it); the counts come from the legacy builder's stream (see <see cref="BuildOutcome"/>).</summary>
    public async Task<BuildOutcome> BuildAsync(string contextDirectory, string dockerfile, IReadOnlyList<string> tags, CancellationToken ct)
    {
        var context = new MemoryStream();
        await using (var writer = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(contextDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                await writer.WriteEntryAsync(path, Path.GetRelativePath(contextDirectory, path), ct);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)) };
            await writer.WriteEntryAsync(entry, ct);
        }
        context.Position = 0;
        var content = new StreamContent(context);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        var messages = await StreamAsync(HttpMethod.Post, "/build?" + string.Join('&', tags.Select(t => "t=" + Uri.EscapeDataString(t))), content, ct);
        var lines = messages.Select(m => m["stream"]?.GetValue<string>()).OfType<string>().SelectMany(s => s.Split('\n')).ToList();
        var id = messages.Select(m => m["aux"]?["ID"]?.GetValue<string>()).OfType<string>().Single();
        var steps = lines.Count(l => l.StartsWith("Step ", StringComparison.Ordinal) && !l.Contains(" : FROM ", StringComparison.Ordinal));
        return new BuildOutcome(id, steps, lines.Count(l => l == " ---> Using cache"));
    }

    /// <summary><c>GET /events?since=&amp;until=</c> with until now, so the stream ends after the past events; times
    /// in dockerd's form, seconds and nanoseconds.</summary>
    public async Task<IReadOnlyList<EngineEventView>> EventsAsync(DateTimeOffset since, CancellationToken ct)
    {
        var messages = await StreamAsync(HttpMethod.Get, $"/events?since={UnixTime(since)}&until={UnixTime(DateTimeOffset.UtcNow)}", null, ct);
        return [.. messages.Select(e => new EngineEventView(e["Type"]!.GetValue<string>(), e["Action"]!.GetValue<string>(), e["Actor"]!["ID"]!.GetValue<string>(),
            e["Actor"]!["Attributes"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>()), e["timeNano"]!.GetValue<long>()))];
    }

    private static string UnixTime(DateTimeOffset t) =>
        string.Create(CultureInfo.InvariantCulture, $"{t.ToUnixTimeSeconds()}.{(t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % TimeSpan.TicksPerSecond * 100:D9}");

    private static string Filters(IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, string separator)
    {
        if (filters is null || filters.Count == 0) return "";
        var json = new JsonObject();
        foreach (var (key, values) in filters) json[key] = new JsonArray([.. values.Select(v => (JsonNode?)v)]);
        return separator + "filters=" + Uri.EscapeDataString(json.ToJsonString());
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw ErrorOf(response.StatusCode, text);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>A JSON-lines answer (jsonmessage, events), read to its end; an in-band error (a stream that had
    /// started) is thrown as dockerd's clients do, with the kind it reports none of: Internal.</summary>
    private async Task<IReadOnlyList<JsonNode>> StreamAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw ErrorOf(response.StatusCode, text);
        var messages = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        if (messages.FirstOrDefault(m => m["error"] is not null) is { } error) throw new BerthException(ErrorKind.Internal, $"{path}: {error["error"]}");
        return messages;
    }

    /// <summary>dockerd's statuses as berth's kinds, the inverse of Berth.Api's ErrorMapping.</summary>
    private static BerthException ErrorOf(HttpStatusCode status, string body)
    {
        var kind = status switch
        {
            HttpStatusCode.NotFound => ErrorKind.NotFound,
            HttpStatusCode.BadRequest => ErrorKind.InvalidArgument,
            HttpStatusCode.Conflict => ErrorKind.Conflict,
            HttpStatusCode.Unauthorized => ErrorKind.Unauthenticated,
            HttpStatusCode.Forbidden => ErrorKind.PermissionDenied,
            HttpStatusCode.ServiceUnavailable => ErrorKind.Unavailable,
            HttpStatusCode.NotImplemented => ErrorKind.NotImplemented,
            _ => ErrorKind.Internal,
        };
        string message;
        try
        {
            message = JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
            message = body;
        }
        return new BerthException(kind, $"{(int)status}: {message}");
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
