using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>docker's <c>--restart</c>: no, always, unless-stopped, on-failure[:max-retries]. berth has no daemon, so
/// nothing restarts containers when the machine boots; a container that exits is restarted by its monitor (or, for
/// an attached <c>run</c>, by a monitor the CLI hands it to), unless someone stopped or killed it. Shaped as the Engine
/// API's <c>HostConfig.RestartPolicy</c>; stored as an object, and read back from the spec string older rows hold.</summary>
[JsonConverter(typeof(RestartPolicyJsonConverter))]
public sealed record RestartPolicy(string Name, int MaximumRetryCount)
{
    public static RestartPolicy No { get; } = new("no", 0);

    /// <summary>docker's <c>no</c>, <c>always</c>, <c>unless-stopped</c>, <c>on-failure[:max-retries]</c>, with docker's
    /// reasons for a refusal (which name no flag).</summary>
    public static RestartPolicy Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return No;
        var colon = text.IndexOf(':');
        var name = colon < 0 ? text : text[..colon];
        var count = 0;
        if (colon >= 0 && (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out count)))
            throw BerthException.Invalid($"invalid restart policy format: maximum retry count must be an integer");
        return name switch
        {
            "no" or "always" or "unless-stopped" when colon >= 0 => throw BerthException.Invalid($"invalid restart policy format: maximum retry count can only be used with 'on-failure'"),
            "no" or "always" or "unless-stopped" or "on-failure" => new RestartPolicy(name, count),
            _ => throw BerthException.Invalid($"invalid restart policy format: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"),
        };
    }

    /// <summary>Whether a container that exited with <paramref name="exitCode"/> after <paramref name="restarts"/>
    /// restarts starts again; never after a user stopped or killed it.</summary>
    public bool ShouldRestart(int exitCode, int restarts, bool manuallyStopped) => !manuallyStopped && Name switch
    {
        "always" or "unless-stopped" => true,
        "on-failure" => exitCode != 0 && (MaximumRetryCount == 0 || restarts < MaximumRetryCount),
        _ => false,
    };

    /// <summary>docker's back-off: 100 ms, doubling with each restart that follows a short run (under 10 s), at most a
    /// minute.</summary>
    public static TimeSpan Delay(int restarts, TimeSpan ran) =>
        ran >= TimeSpan.FromSeconds(10) ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(Math.Min(60_000, 100 * Math.Pow(2, Math.Min(restarts, 10))));
}

/// <summary>Writes <see cref="RestartPolicy"/> as <c>{"name","maximumRetryCount"}</c>; reads that or the spec string
/// older rows hold.</summary>
internal sealed class RestartPolicyJsonConverter : JsonConverter<RestartPolicy>
{
    public override RestartPolicy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return RestartPolicy.Parse(reader.GetString());
        var fields = StoredJson.ReadObject(ref reader);
        return new RestartPolicy(StoredJson.String(fields, "name", "no"), (int)StoredJson.Long(fields, "maximumRetryCount", 0));
    }

    public override void Write(Utf8JsonWriter writer, RestartPolicy value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("name", value.Name);
        writer.WriteNumber("maximumRetryCount", value.MaximumRetryCount);
        writer.WriteEndObject();
    }
}
