using System.Globalization;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>A container's logging driver and its options, as <c>--log-driver</c> and <c>--log-opt</c> give them and
/// <c>inspect</c> shows them (HostConfig.LogConfig). berth has docker's two local drivers: <c>json-file</c> (the
/// default, readable by <c>logs</c>) and <c>none</c>.</summary>
/// <see href="https://docs.docker.com/engine/logging/configure/"/>
public sealed record LogConfig
{
    public const string JsonFile = "json-file";
    public const string None = "none";

    [JsonPropertyName("type")] public string Type { get; init; } = JsonFile;
    [JsonPropertyName("config")] public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks the driver and its options as dockerd does when it creates and starts the container, with its
    /// messages, and returns what the json-file writer needs (null for <c>none</c>).</summary>
    public JsonFileOptions? Validate()
    {
        switch (Type)
        {
            case None:
                if (Config.Count > 0) throw BerthException.Invalid("invalid logging opts for driver none");
                return null;
            case JsonFile:
                return JsonFileOptions.Parse(Config);
            default:
                throw BerthException.Invalid($"error looking up logging plugin {Type}: plugin \"{Type}\" not found");
        }
    }
}

/// <summary>The json-file driver's rotation: a new file once the log reaches <see cref="MaxSize"/> bytes, at most
/// <see cref="MaxFile"/> files kept (<c>&lt;log&gt;</c>, <c>&lt;log&gt;.1</c> … the oldest has the highest number),
/// the rotated ones gzipped with <see cref="Compress"/> (<c>&lt;log&gt;.1.gz</c>). As docker's, max-file has no
/// effect without max-size.</summary>
/// <see href="https://docs.docker.com/engine/logging/drivers/json-file/"/>
public sealed record JsonFileOptions
{
    public static readonly JsonFileOptions Unlimited = new();

    /// <summary>Bytes per file; null: one file that grows without bound.</summary>
    public long? MaxSize { get; init; }
    public int MaxFile { get; init; } = 1;
    public bool Compress { get; init; }

    /// <summary>docker's jsonfilelog.ValidateLogOpt and New: the keys it knows (labels, env and tag are accepted and
    /// have no effect here, as berth records no extra attributes), then the values.</summary>
    public static JsonFileOptions Parse(IReadOnlyDictionary<string, string> config)
    {
        foreach (var key in config.Keys)
        {
            if (key is not ("max-file" or "max-size" or "compress" or "labels" or "labels-regex" or "env" or "env-regex" or "tag" or "mode" or "max-buffer-size"))
                throw BerthException.Invalid($"unknown log opt '{key}' for json-file log driver");
        }
        // Compat: dockerd's own options for every driver; berth always blocks (a slow log slows the container).
        if (config.TryGetValue("mode", out var mode) && mode is not ("" or "blocking" or "non-blocking"))
            throw BerthException.Invalid($"logger: logging mode not supported: {mode}");
        if (config.ContainsKey("max-buffer-size") && mode != "non-blocking")
            throw BerthException.Invalid("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
        static BerthException Failed(string message) => BerthException.Invalid("failed to initialize logging driver: " + message);
        long? maxSize = null;
        if (config.TryGetValue("max-size", out var size))
        {
            maxSize = FromHumanSize(size) ?? throw Failed($"invalid size: '{size}'");
            if (maxSize <= 0) throw Failed("max-size must be a positive number");
        }
        var maxFile = 1;
        if (config.TryGetValue("max-file", out var files))
        {
            maxFile = Atoi(files) ?? throw Failed($"strconv.Atoi: parsing \"{files}\": invalid syntax");
            if (maxFile < 1) throw Failed("max-file cannot be less than 1");
        }
        var compress = false;
        if (config.TryGetValue("compress", out var compressText))
        {
            compress = ParseBool(compressText) ?? throw Failed($"strconv.ParseBool: parsing \"{compressText}\": invalid syntax");
            if (compress && (maxFile == 1 || maxSize is null))
                throw Failed("compress cannot be true when max-file is less than 2 or max-size is not set");
        }
        return new JsonFileOptions { MaxSize = maxSize, MaxFile = maxFile, Compress = compress };
    }

    /// <summary>go-units FromHumanSize: a decimal number, an optional space, an optional k/m/g/t/p (powers of 1000,
    /// any case) and an optional "i" and "b": 10m, 1.5k, 10MB. Null when it does not parse.</summary>
    internal static long? FromHumanSize(string s)
    {
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || (s[i] == '.' && i > 0))) i++;
        var number = s[..i];
        if (number.Length == 0 || number.EndsWith('.') || number.Count(c => c == '.') > 1) return null;
        var rest = s[i..].ToLowerInvariant();
        if (rest.StartsWith(' ')) rest = rest[1..];
        long multiplier = 1;
        if (rest.Length > 0 && "kmgtp".IndexOf(rest[0]) is var unit and >= 0)
        {
            for (var u = 0; u <= unit; u++) multiplier *= 1000;
            rest = rest[1..];
        }
        if (rest.StartsWith('i')) rest = rest[1..];
        if (rest.StartsWith('b')) rest = rest[1..];
        if (rest.Length > 0) return null;
        var value = double.Parse(number, CultureInfo.InvariantCulture) * multiplier;
        return value >= long.MaxValue ? long.MaxValue : (long)value;
    }

    /// <summary>Go's strconv.Atoi: an optional sign and decimal digits.</summary>
    private static int? Atoi(string s) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Go's strconv.ParseBool.</summary>
    private static bool? ParseBool(string s) => s switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };
}
