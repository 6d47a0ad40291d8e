using System.Globalization;
using System.Text;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// Parses one <c>--mount</c> value: CSV fields <c>key=value</c> (or bare <c>ro</c>, <c>rw</c>, <c>required</c>).
/// With <c>expand</c> null the values are taken literally and a numeric or boolean value that uses a variable is left
/// for the expanding pass, as BuildKit defers it.
/// </summary>
internal static class RunMountParser
{
    private static readonly string[] Keys =
        ["type", "from", "source", "src", "target", "dst", "destination", "readonly", "ro", "readwrite", "rw",
         "required", "size", "id", "sharing", "mode", "uid", "gid", "env"];

    /// <exception cref="InstructionException">The mount is malformed.</exception>
    public static RunMount Parse(string spec, Func<string, string>? expand)
    {
        var fields = SplitCsv(spec);
        string type = "bind";
        string? from = null, source = null, target = null, id = null, sharing = null, env = null;
        bool? readOnly = null;
        var required = false;
        long? size = null;
        uint? mode = null, uid = null, gid = null;
        // type=$VAR in the literal pass: type-specific checks wait for the expanding pass.
        var typeDeferred = false;

        foreach (var field in fields)
        {
            var eq = field.IndexOf('=');
            var key = (eq < 0 ? field : field[..eq]).ToLowerInvariant();
            if (eq < 0)
            {
                switch (key)
                {
                    case "readonly" or "ro":
                        readOnly = true;
                        continue;
                    case "readwrite" or "rw":
                        readOnly = false;
                        continue;
                    case "required":
                        if (!typeDeferred && type is not ("secret" or "ssh"))
                        {
                            throw new InstructionException($"unexpected key '{key}' for mount type '{type}'");
                        }
                        required = true;
                        continue;
                    default:
                        throw new InstructionException($"invalid field '{field}' must be a key=value pair");
                }
            }
            var raw = field[(eq + 1)..];
            if (key == "from" && expand is null && raw.IndexOf('$') is var d && d >= 0 && d != raw.Length - 1)
            {
                throw new InstructionException($"'{key}' doesn't support variable expansion, define alias stage instead");
            }
            var value = expand is null ? raw : expand(raw);
            // Literal pass: a variable in a typed value is resolved by the expanding pass.
            var deferred = expand is null && raw.Contains('$');

            switch (key)
            {
                case "type":
                    if (deferred)
                    {
                        typeDeferred = true;
                        break;
                    }
                    var t = value.ToLowerInvariant();
                    if (t is not ("bind" or "cache" or "tmpfs" or "secret" or "ssh"))
                    {
                        throw new InstructionException($"unsupported mount type \"{value}\" (expected bind, cache, tmpfs, secret or ssh)");
                    }
                    type = t;
                    break;
                case "from":
                    from = value;
                    break;
                case "source" or "src":
                    source = value;
                    break;
                case "target" or "dst" or "destination":
                    target = value;
                    break;
                case "readonly" or "ro":
                    if (!deferred)
                    {
                        readOnly = ParseBool(key, value);
                    }
                    break;
                case "readwrite" or "rw":
                    if (!deferred)
                    {
                        readOnly = !ParseBool(key, value);
                    }
                    break;
                case "required":
                    if (!typeDeferred && type is not ("secret" or "ssh"))
                    {
                        throw new InstructionException($"unexpected key '{key}' for mount type '{type}'");
                    }
                    if (!deferred)
                    {
                        required = ParseBool(key, value);
                    }
                    break;
                case "size":
                    if (!typeDeferred && type != "tmpfs")
                    {
                        throw new InstructionException($"unexpected key '{key}' for mount type '{type}'");
                    }
                    if (!deferred)
                    {
                        size = ParseRamBytes(value) ?? throw new InstructionException($"invalid value for {key}: {value}");
                    }
                    break;
                case "id":
                    id = value;
                    break;
                case "sharing":
                    if (!deferred)
                    {
                        var s = value.ToLowerInvariant();
                        if (s.Length > 0 && s is not ("shared" or "private" or "locked"))
                        {
                            throw new InstructionException($"unsupported sharing value \"{value}\" (expected shared, private or locked)");
                        }
                        sharing = s.Length == 0 ? null : s;
                    }
                    break;
                case "mode":
                    if (!deferred)
                    {
                        mode = ParseUInt(value, 8) ?? throw new InstructionException($"invalid value {value} for mode");
                    }
                    break;
                case "uid":
                    if (!deferred)
                    {
                        uid = ParseUInt(value, 10) ?? throw new InstructionException($"invalid value for {key}: {value}");
                    }
                    break;
                case "gid":
                    if (!deferred)
                    {
                        gid = ParseUInt(value, 10) ?? throw new InstructionException($"invalid value for {key}: {value}");
                    }
                    break;
                case "env":
                    env = value;
                    break;
                default:
                    throw new InstructionException($"unexpected key '{key}' in '{field}' (expected one of {string.Join(", ", Keys)})");
            }
        }

        if (typeDeferred)
        {
            return new BindMount { Target = target, Source = source, From = from, ReadOnly = readOnly ?? true };
        }

        var fileInfoAllowed = type is "secret" or "ssh" or "cache";
        if (!fileInfoAllowed)
        {
            if (mode is not null)
            {
                throw new InstructionException($"mode not allowed for \"{type}\" type mounts");
            }
            if (uid is not null)
            {
                throw new InstructionException($"uid not allowed for \"{type}\" type mounts");
            }
            if (gid is not null)
            {
                throw new InstructionException($"gid not allowed for \"{type}\" type mounts");
            }
        }
        if (sharing is not null && type != "cache")
        {
            throw new InstructionException($"invalid cache sharing set for {type} mount");
        }

        switch (type)
        {
            case "bind":
                RequireTarget(type, target);
                return new BindMount { Target = target, Source = source, From = from, ReadOnly = readOnly ?? true };
            case "cache":
                RequireTarget(type, target);
                return new CacheMount
                {
                    Target = target,
                    Id = id,
                    Sharing = sharing switch { "private" => CacheSharing.Private, "locked" => CacheSharing.Locked, _ => CacheSharing.Shared },
                    From = from,
                    Source = source,
                    ReadOnly = readOnly ?? false,
                    Mode = mode,
                    Uid = uid,
                    Gid = gid,
                };
            case "tmpfs":
                RequireTarget(type, target);
                return new TmpfsMount { Target = target, SizeBytes = size };
            case "secret":
                if (from is not null)
                {
                    throw new InstructionException("secret mount should not have a from");
                }
                if (source is null && target is null && id is null && env is null)
                {
                    throw new InstructionException("invalid secret mount. one of source, target, id or env required");
                }
                if (source is not null && id is not null)
                {
                    throw new InstructionException("both source and id can't be set");
                }
                var secretId = id ?? source ?? (target is null ? null : LastPathElement(target)) ?? env!;
                return new SecretMount
                {
                    Id = secretId,
                    Target = target ?? (env is null ? "/run/secrets/" + secretId : null),
                    Env = env,
                    Required = required,
                    Mode = mode ?? Convert.ToUInt32("400", 8),
                    Uid = uid ?? 0,
                    Gid = gid ?? 0,
                };
            default:
                return new SshMount
                {
                    Id = id ?? "default",
                    Target = target,
                    Required = required,
                    Mode = mode ?? Convert.ToUInt32("600", 8),
                    Uid = uid ?? 0,
                    Gid = gid ?? 0,
                };
        }
    }

    private static void RequireTarget(string type, string? target)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw new InstructionException($"mount type {type} requires a target (target=/path)");
        }
    }

    private static string LastPathElement(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    // Go's strconv.ParseBool.
    private static bool ParseBool(string key, string value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new InstructionException($"invalid value for {key}: {value}"),
    };

    private static uint? ParseUInt(string value, int radix)
    {
        if (value.Length == 0 || value.Any(c => radix == 8 ? c is < '0' or > '7' : !char.IsAsciiDigit(c)))
        {
            return null;
        }
        try
        {
            return Convert.ToUInt32(value, radix);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>docker/go-units RAMInBytes: <c>64m</c>, <c>1.5g</c>, <c>1024</c>, binary multiples.</summary>
    internal static long? ParseRamBytes(string value)
    {
        var s = value.Trim();
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }
        if (i == 0 || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        var unit = s[i..].TrimStart(' ').ToLowerInvariant();
        if (unit.EndsWith('b'))
        {
            unit = unit[..^1];
        }
        if (unit.EndsWith('i'))
        {
            unit = unit[..^1];
        }
        double multiplier = unit switch
        {
            "" => 1,
            "k" => 1L << 10,
            "m" => 1L << 20,
            "g" => 1L << 30,
            "t" => 1L << 40,
            "p" => 1L << 50,
            _ => -1,
        };
        return multiplier < 0 ? null : (long)(number * multiplier);
    }

    // Go's encoding/csv for one record: ',' separated, '"' quoted with "" as an escaped quote.
    private static List<string> SplitCsv(string s)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var i = 0;
        while (true)
        {
            sb.Clear();
            if (i < s.Length && s[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw new InstructionException($"failed to parse csv mounts: extraneous or missing \" in quoted-field: {s}");
                    }
                    if (s[i] == '"')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '"')
                        {
                            sb.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.Append(s[i++]);
                }
                if (i < s.Length && s[i] != ',')
                {
                    throw new InstructionException($"failed to parse csv mounts: extraneous or missing \" in quoted-field: {s}");
                }
            }
            else
            {
                while (i < s.Length && s[i] != ',')
                {
                    if (s[i] == '"')
                    {
                        throw new InstructionException($"failed to parse csv mounts: bare \" in non-quoted-field: {s}");
                    }
                    sb.Append(s[i++]);
                }
            }
            fields.Add(sb.ToString());
            if (i >= s.Length)
            {
                return fields;
            }
            i++;
        }
    }
}
