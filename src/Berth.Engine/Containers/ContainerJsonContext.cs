using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary>The container and volume documents: stored configs, log lines, inspect output.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(StoredContainerConfig))]
[JsonSerializable(typeof(LogEntry))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(List<ContainerInspect>))]
[JsonSerializable(typeof(VolumeInspect))]
[JsonSerializable(typeof(List<VolumeInspect>))]
[JsonSerializable(typeof(Networks.NetworkInspect))]
[JsonSerializable(typeof(List<Networks.NetworkInspect>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<JsonElement>))]
public sealed partial class ContainerJsonContext : JsonSerializerContext
{
    /// <summary>Each container's stored config, written on every <c>create</c>/<c>run</c> by the generator's fast path
    /// (no metadata built for its type graph); the same output as <see cref="ContainerJsonContext.Default"/>.</summary>
    internal static ContainerJsonWriter Writer => ContainerJsonWriter.Default;

    /// <summary>docker's layout: four-space indentation, and only HTML-sensitive characters escaped (as Go's
    /// encoding/json), so "+" and non-ASCII text stay readable.</summary>
    public static ContainerJsonContext Indented { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Compact, with Go's escaping: log lines and stored documents.</summary>
    public static ContainerJsonContext Compact { get; } = new(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

[JsonSourceGenerationOptions(WriteIndented = false, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(StoredContainerConfig))]
internal sealed partial class ContainerJsonWriter : JsonSerializerContext;
