using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>--mount</c> and <c>-v</c> as docker/cli reads them (opts/mount.go, container/opts.go): each value becomes a
/// typed <see cref="MountRequest"/> here, and a value that does not parse is the CLI's usage error (125).
/// </summary>
internal static class MountFlag
{
    /// <summary>One <c>--mount</c> value: comma-separated <c>key=value</c> fields, type volume unless said.</summary>
    public static MountRequest Parse(string spec)
    {
        string type = "volume", source = "", target = "";
        string? propagation = null;
        bool readOnly = false, noCopy = false;
        long? tmpfsSize = null;
        uint? tmpfsMode = null;
        var families = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in spec.Split(','))
        {
            var eq = field.IndexOf('=');
            var key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            var value = eq < 0 ? "" : field[(eq + 1)..];
            if (key.StartsWith("bind-", StringComparison.Ordinal)) families.Add("bind");
            if (key.StartsWith("volume-", StringComparison.Ordinal)) families.Add("volume");
            if (key.StartsWith("tmpfs-", StringComparison.Ordinal)) families.Add("tmpfs");
            switch (key)
            {
                case "type": type = value; break;
                case "source" or "src": source = value; break;
                case "target" or "destination" or "dst": target = value; break;
                case "readonly" or "ro": readOnly = value is "" or "true" or "1"; break;
                case "bind-propagation": propagation = value; break;
                case "tmpfs-size": tmpfsSize = Value(spec, key, value, () => FlagParsers.RamInBytes(value)); break;
                case "tmpfs-mode": tmpfsMode = Value(spec, key, value, () => Convert.ToUInt32(value, 8)); break;
                case "volume-nocopy": noCopy = value is "" or "true" or "1"; break;
                case "consistency" or "bind-recursive": break;
                default: throw Invalid(spec, $"unexpected key '{key}' in '{field}'");
            }
        }
        if (target.Length == 0) throw Invalid(spec, "target is required");
        foreach (var family in new[] { "bind", "volume", "tmpfs" })
            if (families.Contains(family) && type != family) throw Invalid(spec, $"cannot mix '{family}-*' options with mount type '{type}'");
        return type switch
        {
            "bind" => new MountRequest
            {
                Type = MountKind.Bind, Source = source, Target = target, ReadOnly = readOnly,
                BindOptions = propagation is null ? null : new BindMountOptions { Propagation = propagation },
            },
            "volume" => new MountRequest
            {
                Type = MountKind.Volume, Source = source, Target = target, ReadOnly = readOnly,
                VolumeOptions = noCopy ? new VolumeMountOptions { NoCopy = true } : null,
            },
            "tmpfs" => new MountRequest
            {
                Type = MountKind.Tmpfs, Source = source, Target = target, ReadOnly = readOnly,
                TmpfsOptions = tmpfsSize is null && tmpfsMode is null ? null : new TmpfsMountOptions { SizeBytes = tmpfsSize, Mode = tmpfsMode },
            },
            _ => throw Invalid(spec, $"mount type '{type}' is not supported"),
        };
    }

    /// <summary>One <c>-v</c> value. docker 28 takes a host path starting with "." from the working directory;
    /// anything else is left as written ("~" is not a path to docker, but a volume name it refuses).</summary>
    public static MountRequest ParseVolume(string spec) =>
        BindSyntax.Parse(spec.IndexOf(':') is var colon and > 0 && spec.StartsWith('.') ? Path.GetFullPath(spec[..colon]) + spec[colon..] : spec);

    private static T Value<T>(string spec, string key, string value, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FlagParsers.FlagValueException or FormatException or OverflowException or ArgumentException)
        {
            throw Invalid(spec, $"invalid value for {key}: {value}");
        }
    }

    private static BerthException Invalid(string spec, string message) =>
        BerthException.Invalid($"invalid argument \"{spec}\" for \"--mount\" flag: {message}");
}
