using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Engine.Containers;

/// <summary>A resource limit of the container's processes, as the Engine API's <c>HostConfig.Ulimits</c> has it:
/// a name (<c>nofile</c>, <c>nproc</c> …), a soft and a hard limit (-1 is unlimited). Stored as an object;
/// containers stored before read back from the spec as written (<c>name=soft[:hard]</c>).</summary>
[JsonConverter(typeof(UlimitJsonConverter))]
public sealed record Ulimit(string Name, long Soft, long Hard)
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["core"] = "RLIMIT_CORE", ["cpu"] = "RLIMIT_CPU", ["data"] = "RLIMIT_DATA", ["fsize"] = "RLIMIT_FSIZE",
        ["locks"] = "RLIMIT_LOCKS", ["memlock"] = "RLIMIT_MEMLOCK", ["msgqueue"] = "RLIMIT_MSGQUEUE", ["nice"] = "RLIMIT_NICE",
        ["nofile"] = "RLIMIT_NOFILE", ["nproc"] = "RLIMIT_NPROC", ["rss"] = "RLIMIT_RSS", ["rtprio"] = "RLIMIT_RTPRIO",
        ["rttime"] = "RLIMIT_RTTIME", ["sigpending"] = "RLIMIT_SIGPENDING", ["stack"] = "RLIMIT_STACK", ["as"] = "RLIMIT_AS",
    };

    /// <summary>docker's <c>name=soft[:hard]</c> (hard defaults to soft), with docker's reasons for a refusal; a front
    /// end adds which of its inputs it was.</summary>
    public static Ulimit Parse(string spec)
    {
        var eq = spec.IndexOf('=');
        if (eq <= 0) throw BerthException.Invalid($"invalid ulimit argument: {spec}");
        var values = spec[(eq + 1)..].Split(':');
        if (values.Length > 2 || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var soft)
            || !long.TryParse(values[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var hard))
        {
            if (!Names.ContainsKey(spec[..eq])) throw BerthException.Invalid($"invalid ulimit type: {spec[..eq]}");
            throw BerthException.Invalid($"invalid ulimit argument: {spec}");
        }
        var ulimit = new Ulimit(spec[..eq], soft, hard);
        ulimit.Validate();
        return ulimit;
    }

    /// <summary>Refuses an unknown name, and a soft limit above the hard one.</summary>
    public void Validate()
    {
        if (!Names.ContainsKey(Name)) throw BerthException.Invalid($"invalid ulimit type: {Name}");
        if (Soft > Hard && Hard != -1 || Soft == -1 && Hard != -1)
            throw BerthException.Invalid($"ulimit soft limit must be less than or equal to hard limit: {Soft} > {Hard}");
    }

    /// <summary>The OCI rlimit.</summary>
    public PosixRlimit ToRlimit()
    {
        Validate();
        static ulong Value(long v) => v < 0 ? ulong.MaxValue : (ulong)v;
        return new PosixRlimit { Type = Names[Name], Soft = Value(Soft), Hard = Value(Hard) };
    }
}

/// <summary>Writes <see cref="Ulimit"/> as <c>{"name","soft","hard"}</c>; reads that or the spec string older rows hold.</summary>
internal sealed class UlimitJsonConverter : JsonConverter<Ulimit>
{
    public override Ulimit Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return Ulimit.Parse(reader.GetString()!);
        var fields = StoredJson.ReadObject(ref reader);
        return new Ulimit(StoredJson.String(fields, "name"), StoredJson.Long(fields, "soft"), StoredJson.Long(fields, "hard"));
    }

    public override void Write(Utf8JsonWriter writer, Ulimit value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("name", value.Name);
        writer.WriteNumber("soft", value.Soft);
        writer.WriteNumber("hard", value.Hard);
        writer.WriteEndObject();
    }
}
