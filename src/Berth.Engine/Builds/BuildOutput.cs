using Berth.Oci.Errors;

namespace Berth.Engine.Builds;

/// <summary>
/// Where <c>berth build --output</c> puts the result besides the store (BuildKit's exporters): <c>oci</c> and
/// <c>docker</c> write an image archive as <c>berth save</c> does (one tar that is both an OCI layout and a
/// docker-archive), <c>tar</c> the flattened root filesystem of the target stage, <c>local</c> that tree into a
/// directory. <c>dest=-</c> writes a tar to stdout.
/// <see href="https://docs.docker.com/build/exporters/"/>
/// </summary>
public sealed record BuildOutput
{
    public required string Type { get; init; }
    public required string Destination { get; init; }

    /// <summary>Parses <c>type=TYPE,dest=PATH</c>; a bare path means <c>type=local,dest=PATH</c>, as in docker.</summary>
    public static BuildOutput Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('=')) return new BuildOutput { Type = "local", Destination = value };
        string? type = null, dest = null;
        foreach (var part in value.Split(','))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2) throw BerthException.Invalid($"invalid --output \"{value}\": expected type=TYPE,dest=PATH");
            switch (kv[0].Trim())
            {
                case "type": type = kv[1]; break;
                case "dest": dest = kv[1]; break;
                default: throw BerthException.Invalid($"invalid --output \"{value}\": unknown key {kv[0]} (berth knows type and dest)");
            }
        }
        if (type is not ("oci" or "docker" or "tar" or "local"))
            throw BerthException.Invalid($"invalid --output \"{value}\": type must be oci, docker, tar or local");
        if (dest is not { Length: > 0 }) throw BerthException.Invalid($"invalid --output \"{value}\": dest is required");
        if (type == "local" && dest == "-") throw BerthException.Invalid("--output type=local needs a directory, not -");
        return new BuildOutput { Type = type, Destination = dest };
    }
}
