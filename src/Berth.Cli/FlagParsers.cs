using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Berth.Cli;

/// <summary>Typed flags read and refused as the docker CLI (pflag, go-units, docker/cli opts) reads and refuses them,
/// before anything runs: <c>invalid argument "abc" for "--pids-limit" flag: strconv.ParseInt: parsing "abc": invalid
/// syntax</c>, a usage error (125). <see cref="Install"/> gives every integer option of the command tree Go's
/// <c>strconv</c> syntax and wording; <see cref="Bytes"/>, <see cref="SwapBytes"/> and <see cref="NanoCpus"/> make
/// the options that docker types as sizes and CPU counts.</summary>
internal static class FlagParsers
{
    /// <summary>Installs Go's integer parsing (pflag's: <c>strconv.ParseInt(s, 0, 64)</c>, base prefixes and
    /// underscores included) on every integer option under <paramref name="root"/> that has no parser of its own.</summary>
    public static void Install(Command root)
    {
        foreach (var option in root.Options) Install(option);
        foreach (var sub in root.Subcommands) Install(sub);
    }

    private static void Install(Option option)
    {
        switch (option)
        {
            case Option<int?> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => (int?)ParseInt(s, 32));
                break;
            case Option<int> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => (int)ParseInt(s, 32));
                break;
            case Option<long?> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => (long?)ParseInt(s, 64));
                break;
            case Option<long> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => ParseInt(s, 64));
                break;
            case Option<ulong?> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => (ulong?)ParseUint(s, 64));
                break;
            case Option<ushort?> o when o.CustomParser is null:
                o.CustomParser = r => ParseOrReport(r, o, s => (ushort?)ParseUint(s, 16));
                break;
        }
    }

    /// <summary>A size in bytes as docker's <c>MemBytes</c> (go-units <c>RAMInBytes</c>: "64m", "1.5g", "512KiB").</summary>
    public static Option<long?> Bytes(string name, string description, params string[] aliases)
    {
        var o = new Option<long?>(name, aliases) { Description = description };
        o.CustomParser = r => ParseOrReport(r, o, s => (long?)RamInBytes(s));
        return o;
    }

    /// <summary>docker's <c>MemSwapBytes</c>: a size, or -1 for unlimited swap.</summary>
    public static Option<long?> SwapBytes(string name, string description, params string[] aliases)
    {
        var o = new Option<long?>(name, aliases) { Description = description };
        o.CustomParser = r => ParseOrReport(r, o, s => s == "-1" ? -1 : RamInBytes(s));
        return o;
    }

    /// <summary>docker's <c>NanoCPUs</c>: a rational number of CPUs ("1.5", "1/2") in billionths.</summary>
    public static Option<long?> NanoCpus(string name, string description, params string[] aliases)
    {
        var o = new Option<long?>(name, aliases) { Description = description };
        o.CustomParser = r => ParseOrReport(r, o, s => (long?)ParseNanoCpus(s));
        return o;
    }

    /// <summary>A Go <c>time.Duration</c> flag ("30s", "1m30s", "500ms") in nanoseconds, as pflag's DurationVar.</summary>
    public static Option<long?> Duration(string name, string description)
    {
        var o = new Option<long?>(name) { Description = description };
        o.CustomParser = r => ParseOrReport(r, o, s =>
        {
            try
            {
                return (long?)Berth.Engine.Containers.GoDuration.Parse(s);
            }
            catch (Berth.Oci.Errors.BerthException e)
            {
                throw new FlagValueException(e.Message);
            }
        });
        return o;
    }

    private static T? ParseOrReport<T>(ArgumentResult result, Option option, Func<string, T> parse)
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        try
        {
            return parse(value);
        }
        catch (FlagValueException e)
        {
            result.AddError($"invalid argument \"{value}\" for \"{DisplayName(option)}\" flag: {e.Message}");
            return default;
        }
    }

    /// <summary>How pflag names a flag in its errors: "-m, --memory", or "--pids-limit" without a shorthand.</summary>
    internal static string DisplayName(Option option) =>
        option.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-') is { } shorthand ? $"{shorthand}, {option.Name}" : option.Name;

    /// <summary>A value a flag refuses, with the reason in Go's words.</summary>
    internal sealed class FlagValueException(string message) : Exception(message);

    /// <summary>Go's <c>strconv.ParseInt(s, 0, bitSize)</c>.</summary>
    internal static long ParseInt(string s, int bitSize)
    {
        var body = s;
        var negative = false;
        if (body.Length > 0 && body[0] is '+' or '-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }
        var magnitude = Unsigned(body, 64, s, "ParseInt");
        var cutoff = 1UL << (bitSize - 1);
        if (!negative && magnitude >= cutoff || negative && magnitude > cutoff) throw Range("ParseInt", s);
        return negative ? (long)(0 - magnitude) : (long)magnitude;
    }

    /// <summary>Go's <c>strconv.ParseUint(s, 0, bitSize)</c>.</summary>
    internal static ulong ParseUint(string s, int bitSize)
    {
        var n = Unsigned(s, 64, s, "ParseUint");
        if (bitSize < 64 && n > (1UL << bitSize) - 1) throw Range("ParseUint", s);
        return n;
    }

    /// <summary>The unsigned part of Go's base-0 integer syntax: 0b/0o/0x prefixes, a bare leading 0 for octal,
    /// underscores only between digits (underscoreOK).</summary>
    private static ulong Unsigned(string s, int bitSize, string original, string function)
    {
        if (s.Length == 0) throw Syntax(function, original);
        var digits = s;
        var @base = 10;
        var prefixed = false;
        if (s[0] == '0' && s.Length > 1)
        {
            switch (char.ToLowerInvariant(s[1]))
            {
                case 'b' when s.Length >= 3: @base = 2; digits = s[2..]; prefixed = true; break;
                case 'o' when s.Length >= 3: @base = 8; digits = s[2..]; prefixed = true; break;
                case 'x' when s.Length >= 3: @base = 16; digits = s[2..]; prefixed = true; break;
                default: @base = 8; digits = s[1..]; break;
            }
        }
        var max = bitSize == 64 ? ulong.MaxValue : (1UL << bitSize) - 1;
        ulong n = 0;
        var underscores = false;
        foreach (var c in digits)
        {
            if (c == '_')
            {
                underscores = true;
                continue;
            }
            int d = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (d >= @base) throw Syntax(function, original);
            if (n > (max - (ulong)d) / (ulong)@base) throw Range(function, original);
            n = n * (ulong)@base + (ulong)d;
        }
        if (underscores && !UnderscoresOk(s, prefixed)) throw Syntax(function, original);
        return n;
    }

    /// <summary>Go's underscoreOK: '_' only between digits, or after a base prefix.</summary>
    private static bool UnderscoresOk(string s, bool prefixed)
    {
        var saw = '^';
        var i = 0;
        var hex = false;
        if (prefixed)
        {
            i = 2;
            saw = '0';
            hex = char.ToLowerInvariant(s[1]) == 'x';
        }
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsAsciiDigit(c) || hex && char.IsAsciiHexDigit(c))
            {
                saw = '0';
                continue;
            }
            if (c == '_')
            {
                if (saw != '0') return false;
                saw = '_';
                continue;
            }
            if (saw == '_') return false;
            saw = '!';
        }
        return saw != '_';
    }

    private static FlagValueException Syntax(string function, string s) => new($"strconv.{function}: parsing \"{s}\": invalid syntax");

    private static FlagValueException Range(string function, string s) => new($"strconv.{function}: parsing \"{s}\": value out of range");

    /// <summary>go-units <c>RAMInBytes</c>: a non-negative number, then an optional binary unit (k, m, g, t, p, each
    /// optionally followed by "b" or "ib", any case), or "b".</summary>
    internal static long RamInBytes(string s)
    {
        var sep = s.LastIndexOfAny("01234567890. ".ToCharArray());
        if (sep < 0) throw new FlagValueException($"invalid size: '{s}'");
        var number = s[sep] == ' ' ? s[..sep] : s[..(sep + 1)];
        var suffix = s[(sep + 1)..];
        var size = ParseFloat(number);
        if (size < 0) throw new FlagValueException($"invalid size: '{s}'");
        if (suffix.Length == 0) return Int64(size);
        var lower = suffix.ToLowerInvariant();
        if (lower.Length > 3) throw BadSuffix(lower);
        if (lower[0] == 'b') return lower.Length == 1 ? Int64(size) : throw BadSuffix(lower);
        var multiplier = lower[0] switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            't' => 1L << 40,
            'p' => 1L << 50,
            _ => throw BadSuffix(lower),
        };
        if (lower.Length == 2 && lower[1] != 'b' || lower.Length == 3 && lower[1..] != "ib") throw BadSuffix(lower);
        return Int64(size * multiplier);

        static FlagValueException BadSuffix(string sfx) => new($"invalid suffix: '{sfx}'");
        static long Int64(double v) => v >= long.MaxValue ? long.MaxValue : (long)v;
    }

    /// <summary>Go's <c>strconv.ParseFloat(s, 64)</c> for the decimal forms sizes use.</summary>
    private static double ParseFloat(string s)
    {
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var v))
            throw Syntax("ParseFloat", s);
        if (double.IsInfinity(v)) throw Range("ParseFloat", s);
        return v;
    }

    /// <summary>docker/cli <c>opts.ParseCPUs</c>: <c>big.Rat.SetString</c> (a decimal number with an optional
    /// exponent, or a fraction "a/b"), times 10⁹, which must be whole.</summary>
    internal static long ParseNanoCpus(string s)
    {
        if (!TryParseRational(s, out var numerator, out var denominator))
            throw new FlagValueException($"failed to parse {s} as a rational number");
        var nano = BigInteger.DivRem(numerator * 1_000_000_000, denominator, out var remainder);
        if (!remainder.IsZero) throw new FlagValueException("value is too precise");
        return nano > long.MaxValue ? long.MaxValue : nano < long.MinValue ? long.MinValue : (long)nano;
    }

    private static bool TryParseRational(string s, out BigInteger numerator, out BigInteger denominator)
    {
        numerator = BigInteger.Zero;
        denominator = BigInteger.One;
        var slash = s.IndexOf('/');
        if (slash >= 0)
        {
            if (!TryInteger(s[..slash], allowSign: true, out numerator) || !TryInteger(s[(slash + 1)..], allowSign: false, out denominator)) return false;
            return !denominator.IsZero;
        }
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        var mantissa = new System.Text.StringBuilder();
        var fraction = 0;
        var seenPoint = false;
        for (; i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.' && !seenPoint); i++)
        {
            if (s[i] == '.') { seenPoint = true; continue; }
            mantissa.Append(s[i]);
            if (seenPoint) fraction++;
        }
        if (mantissa.Length == 0) return false;
        var exponent = 0;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            if (!int.TryParse(s.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            i = s.Length;
        }
        if (i != s.Length) return false;
        numerator = BigInteger.Parse(mantissa.ToString(), CultureInfo.InvariantCulture);
        if (negative) numerator = -numerator;
        var scale = exponent - fraction;
        if (scale >= 0) numerator *= BigInteger.Pow(10, scale);
        else denominator = BigInteger.Pow(10, -scale);
        return true;
    }

    private static bool TryInteger(string s, bool allowSign, out BigInteger value)
    {
        value = BigInteger.Zero;
        var digits = allowSign && s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) return false;
        value = BigInteger.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return true;
    }
}
