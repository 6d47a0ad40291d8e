using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Engine.Images;
using Berth.Oci;

namespace Berth.Engine;

[JsonSourceGenerationOptions(Converters = [typeof(DigestJsonConverter)], WriteIndented = false)]
[JsonSerializable(typeof(List<DockerArchiveManifestEntry>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
[JsonSerializable(typeof(ImageInspect))]
[JsonSerializable(typeof(List<ImageInspect>))]
[JsonSerializable(typeof(ImageSummaryJson))]
[JsonSerializable(typeof(HistoryJson))]
[JsonSerializable(typeof(DfImageJson))]
[JsonSerializable(typeof(SystemVersion))]
[JsonSerializable(typeof(SystemInfo))]
public sealed partial class EngineJsonContext : JsonSerializerContext
{
    public static EngineJsonContext Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true, Converters = { new DigestJsonConverter() } });
}
