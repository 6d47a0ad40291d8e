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

/// <summary>The documents berth writes on every <c>run</c> (config.json, the runtime state, the init's configuration,
/// the seccomp cache key), serialized by the generator's fast path: no System.Text.Json metadata is built for their
/// type graphs, which cost more than a millisecond of each start. Same options as <see cref="RuntimeJsonContext"/>,
/// so the output is the same.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(InitConfig))]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(LinuxSeccomp))]
[JsonSerializable(typeof(ContainerState))]
internal sealed partial class RuntimeJsonWriter : JsonSerializerContext;

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

    public static byte[] Serialize(RuntimeSpec spec) => JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJsonWriter.Default.RuntimeSpec);

    public static byte[] Serialize(ContainerState state) => JsonSerializer.SerializeToUtf8Bytes(state, RuntimeJsonWriter.Default.ContainerState);

    public static byte[] Serialize(IReadOnlyList<ContainerState> states) =>
        JsonSerializer.SerializeToUtf8Bytes(states.ToList(), RuntimeJsonContext.Default.ListContainerState);

    public static ContainerState ParseState(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, RuntimeJsonContext.Default.ContainerState) ?? throw BerthException.Invalid("state: empty JSON");
}
