using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;
using Berth.Runtime.Init;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;

namespace Berth.Runtime;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(ContainerState))]
[JsonSerializable(typeof(List<ContainerState>))]
[JsonSerializable(typeof(DockerSeccompProfile))]
[JsonSerializable(typeof(InitConfig))]
[JsonSerializable(typeof(ExecConfig))]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;

/// <summary>Reads and writes the runtime's JSON documents (config.json, state) with the source-generated context.</summary>
public static class RuntimeJson
{
    public static RuntimeSpec ParseSpec(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RuntimeJsonContext.Default.RuntimeSpec)
                ?? throw BerthException.Invalid($"{what}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new BerthException(ErrorKind.InvalidArgument, $"{what}: invalid runtime config: {e.Message}", e);
        }
    }

    public static byte[] Serialize(RuntimeSpec spec) => JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJsonContext.Default.RuntimeSpec);

    public static byte[] Serialize(ContainerState state) => JsonSerializer.SerializeToUtf8Bytes(state, RuntimeJsonContext.Default.ContainerState);

    public static byte[] Serialize(IReadOnlyList<ContainerState> states) =>
        JsonSerializer.SerializeToUtf8Bytes(states.ToList(), RuntimeJsonContext.Default.ListContainerState);

    public static ContainerState ParseState(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, RuntimeJsonContext.Default.ContainerState) ?? throw BerthException.Invalid("state: empty JSON");
}
