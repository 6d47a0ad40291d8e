using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Berth.Api;

/// <summary>Reading dockerd's query parameters and writing its bodies.</summary>
internal static class HttpExtensions
{
    public static string? Query(this HttpContext ctx, string name) =>
        ctx.Request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>Go's strconv.ParseBool as dockerd's httputils.BoolValue reads it: 1, t, true … are true; an absent
    /// or empty value is the default.</summary>
    public static bool QueryBool(this HttpContext ctx, string name, bool fallback = false)
    {
        var v = ctx.Query(name);
        if (string.IsNullOrEmpty(v)) return fallback;
        return v.ToLowerInvariant() switch
        {
            "1" or "t" or "true" or "yes" => true,
            "0" or "f" or "false" or "no" => false,
            _ => throw BerthException.Invalid($"invalid value for {name}: {v}"),
        };
    }

    public static int? QueryInt(this HttpContext ctx, string name)
    {
        var v = ctx.Query(name);
        if (string.IsNullOrEmpty(v)) return null;
        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
            : throw BerthException.Invalid($"invalid value for {name}: {v}: not an integer");
    }

    /// <summary>The <c>filters</c> parameter: a JSON object of key → {value: true} (or the older key → [values]).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Filters(this HttpContext ctx)
    {
        var text = ctx.Query("filters");
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text)) return result;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"invalid filter: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw BerthException.Invalid("invalid filter: expected a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var values = new List<string>();
                switch (p.Value.ValueKind)
                {
                    case JsonValueKind.Object:
                        foreach (var v in p.Value.EnumerateObject()) if (v.Value.ValueKind != JsonValueKind.False) values.Add(v.Name);
                        break;
                    case JsonValueKind.Array:
                        foreach (var v in p.Value.EnumerateArray())
                            values.Add(v.ValueKind == JsonValueKind.String ? v.GetString()! : throw BerthException.Invalid($"invalid filter '{p.Name}': values must be strings"));
                        break;
                    default:
                        throw BerthException.Invalid($"invalid filter '{p.Name}': expected an object or array of values");
                }
                result[p.Name] = values;
            }
        }
        return result;
    }

    /// <summary>Reads a JSON request body (bounded by Kestrel's limit); an empty body is <paramref name="empty"/>.</summary>
    public static async Task<T> ReadJsonAsync<T>(this HttpContext ctx, JsonTypeInfo<T> type, T empty)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return empty;
        return ParseBody(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type) ?? empty;
    }

    /// <summary>A request body's JSON document: one that does not parse, or has a value of the wrong type, is the
    /// client's error (400, naming the problem), unlike a JSON failure of the engine's own records (500).</summary>
    public static T? ParseBody<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid("invalid JSON in request body: " + e.Message);
        }
    }

    public static async Task WriteJsonAsync<T>(this HttpContext ctx, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        // Serialized first: a failure while serializing still gets an error status instead of half a body.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, type);
        ctx.Response.ContentLength = bytes.Length + 1;
        await ctx.Response.Body.WriteAsync(WithNewline(bytes), ctx.RequestAborted);
    }

    /// <summary>A JSON document and its trailing newline as one buffer: one write, one chunk.</summary>
    public static byte[] WithNewline(byte[] json)
    {
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    public static void NoContent(this HttpContext ctx) => ctx.Response.StatusCode = StatusCodes.Status204NoContent;

    /// <summary>Lifts the body bound for requests whose body is an archive stream (load, build).</summary>
    public static void UnboundedBody(this HttpContext ctx)
    {
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } f) f.MaxRequestBodySize = null;
    }

    /// <summary>Cancelled when the client goes away or the daemon stops: the token of streams that wait.</summary>
    public static CancellationToken StreamToken(this HttpContext ctx)
    {
        var stopping = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        ctx.Response.RegisterForDispose(linked);
        return linked.Token;
    }

    /// <summary>Cancelled when the daemon stops: the token of hijacked sessions, where a client's half-close (the end of
    /// its input) must not end the session, and a client that is gone shows as a failed write instead.</summary>
    public static CancellationToken StoppingToken(this HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

    public static ApiVersion Version(this HttpContext ctx) =>
        ctx.Items.TryGetValue(VersionMiddleware.VersionItem, out var v) && v is ApiVersion version ? version : ApiVersion.Current;

    /// <summary>Runs blocking engine work on a thread of its own (long streams: logs -f, export, save, build).</summary>
    public static Task RunLongAsync(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static Task<T> RunLongAsync<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
