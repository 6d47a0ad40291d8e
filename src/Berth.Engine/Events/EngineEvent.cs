using System.Text.Json.Serialization;

namespace Berth.Engine.Events;

/// <summary>An event as the Engine API's <c>/events</c> and <c>docker events --format '{{json .}}'</c> show it,
/// with the deprecated <c>status</c>/<c>id</c>/<c>from</c> fields docker still fills for containers and images.</summary>
public sealed record EngineEvent
{
    [JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Status { get; init; }

    [JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    [JsonPropertyName("from"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? From { get; init; }

    [JsonPropertyName("Type")]
    public required string Type { get; init; }

    [JsonPropertyName("Action")]
    public required string Action { get; init; }

    [JsonPropertyName("Actor")]
    public required EventActor Actor { get; init; }

    [JsonPropertyName("scope")]
    public string Scope { get; init; } = "local";

    [JsonPropertyName("time")]
    public long Time => TimeNano / 1_000_000_000;

    [JsonPropertyName("timeNano")]
    public required long TimeNano { get; init; }
}

public sealed record EventActor
{
    [JsonPropertyName("ID")]
    public required string Id { get; init; }

    [JsonPropertyName("Attributes")]
    public required SortedDictionary<string, string> Attributes { get; init; }
}

/// <summary>docker's event filters: values of one key are alternatives, keys must all match.</summary>
public sealed record EventFilter(IReadOnlyDictionary<string, IReadOnlyList<string>> Filters)
{
    public static EventFilter None { get; } = new(new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>The keys docker accepts.</summary>
    public static readonly IReadOnlySet<string> Keys = new HashSet<string>(StringComparer.Ordinal)
    {
        "container", "event", "image", "label", "type", "volume", "network", "daemon", "scope",
    };

    public bool Matches(EngineEvent e)
    {
        foreach (var (key, values) in Filters)
        {
            if (values.Count == 0) continue;
            var attrs = e.Actor.Attributes;
            bool ok = key switch
            {
                "type" => values.Contains(e.Type),
                "event" => values.Any(v => v == e.Action || e.Action.StartsWith(v + ":", StringComparison.Ordinal)),
                "container" => e.Type == "container" && values.Any(v => Names(e, v)),
                "image" => values.Any(v => e.Type == "image" ? Names(e, v) : attrs.GetValueOrDefault("image") == v),
                "volume" => e.Type == "volume" && values.Any(v => Names(e, v)),
                "network" => e.Type == "network" && values.Any(v => Names(e, v)),
                // Compat: label terms must all hold (dockerd's MatchKVList): compose watches its project's events
                // with project=P and oneoff=False together.
                "label" => values.All(v => Containers.ContainerService.LabelMatches(attrs, v)),
                "scope" => values.Contains(e.Scope),
                _ => false, // "daemon": berth sends no daemon events
            };
            if (!ok) return false;
        }
        return true;
    }

    private static bool Names(EngineEvent e, string value) =>
        e.Actor.Id == value || e.Actor.Id.StartsWith(value, StringComparison.Ordinal) && value.Length >= 1 && value.All(char.IsAsciiHexDigitLower)
        || e.Actor.Attributes.GetValueOrDefault("name") == value;
}
