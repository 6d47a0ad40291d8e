using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>A host device given to the container, as the Engine API's <c>HostConfig.Devices</c> has it: the node on
/// the host, its path in the container and the device cgroup's permissions (<c>rwm</c>). Stored as an object;
/// containers stored before read back from the spec as written (<c>/dev/host[:/dev/ctr][:rwm]</c>).</summary>
[JsonConverter(typeof(DeviceMappingJsonConverter))]
public sealed record DeviceMapping(string PathOnHost, string PathInContainer, string CgroupPermissions)
{
    /// <summary>docker's <c>/dev/host[:/dev/ctr][:permissions]</c>, with docker's reasons for a refusal; a front end
    /// adds which of its inputs it was.</summary>
    public static DeviceMapping Parse(string spec)
    {
        var parts = spec.Split(':');
        var device = parts switch
        {
            [var h] => new DeviceMapping(h, h, "rwm"),
            [var h, var p] when IsPermissions(p) => new DeviceMapping(h, h, p),
            [var h, var c] => new DeviceMapping(h, c, "rwm"),
            [var h, var c, var p] when IsPermissions(p) => new DeviceMapping(h, c, p),
            _ => throw BerthException.Invalid($"bad format for path: {spec}"),
        };
        device.Validate();
        return device;
    }

    private static bool IsPermissions(string p) => p.Length is > 0 and <= 3 && p.All(c => c is 'r' or 'w' or 'm');

    /// <summary>Both paths absolute, permissions of r, w and m.</summary>
    public void Validate()
    {
        if (!PathOnHost.StartsWith('/')) throw BerthException.Invalid($"{PathOnHost} is not an absolute path");
        if (!PathInContainer.StartsWith('/')) throw BerthException.Invalid($"{PathInContainer} is not an absolute path");
        if (!IsPermissions(CgroupPermissions)) throw BerthException.Invalid($"invalid device cgroup permissions: {CgroupPermissions}");
    }
}

/// <summary>Writes <see cref="DeviceMapping"/> as an object with docker's names; reads that or the spec string older
/// rows hold.</summary>
internal sealed class DeviceMappingJsonConverter : JsonConverter<DeviceMapping>
{
    public override DeviceMapping Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return DeviceMapping.Parse(reader.GetString()!);
        var fields = StoredJson.ReadObject(ref reader);
        return new DeviceMapping(StoredJson.String(fields, "pathOnHost"), StoredJson.String(fields, "pathInContainer"),
            StoredJson.String(fields, "cgroupPermissions", "rwm"));
    }

    public override void Write(Utf8JsonWriter writer, DeviceMapping value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("pathOnHost", value.PathOnHost);
        writer.WriteString("pathInContainer", value.PathInContainer);
        writer.WriteString("cgroupPermissions", value.CgroupPermissions);
        writer.WriteEndObject();
    }
}
