using System.Globalization;
using System.Text;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>Go's <c>time.Duration</c> text, in nanoseconds: <see cref="Parse"/> reads what <c>time.ParseDuration</c>
/// reads ("1m30s", "500ms", "1.5h") and <see cref="Format"/> writes what <c>Duration.String</c> writes, so the
/// <c>--health-*</c> flags and the messages that quote them ("Health check exceeded timeout (1s)") read as docker's.</summary>
/// <see href="https://pkg.go.dev/time#ParseDuration"/>
public static class GoDuration
{
    private static readonly (string Unit, long Nanos)[] Units =
    [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ];

    /// <summary>Nanoseconds of <paramref name="text"/>; InvalidArgument in Go's words otherwise.</summary>
    public static long Parse(string text)
    {
        var s = text;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0") return 0;
        if (s.Length == 0) throw Invalid(text);
        decimal total = 0;
        while (s.Length > 0)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            var number = s[..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1) throw Invalid(text);
            s = s[i..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.') u++;
            var unit = s[..u];
            s = s[u..];
            if (unit.Length == 0) throw BerthException.Invalid($"time: missing unit in duration \"{text}\"");
            var factor = Units.FirstOrDefault(x => x.Unit == unit).Nanos;
            if (factor == 0) throw BerthException.Invalid($"time: unknown unit \"{unit}\" in duration \"{text}\"");
            total += decimal.Parse(number.StartsWith('.') ? "0" + number : number, CultureInfo.InvariantCulture) * factor;
            if (total > long.MaxValue) throw Invalid(text);
        }
        var nanos = (long)decimal.Truncate(total);
        return negative ? -nanos : nanos;
    }

    private static BerthException Invalid(string text) => BerthException.Invalid($"time: invalid duration \"{text}\"");

    /// <summary>Go's <c>Duration.String()</c>: "0s", "500ms", "1.5s", "1m30s", "1h0m0s".</summary>
    public static string Format(long nanos)
    {
        if (nanos == 0) return "0s";
        var sign = nanos < 0 ? "-" : "";
        var u = (ulong)Math.Abs(nanos);
        if (u < 1_000_000_000)
        {
            return u switch
            {
                < 1_000 => sign + u.ToString(CultureInfo.InvariantCulture) + "ns",
                < 1_000_000 => sign + Fraction(u, 3) + "µs",
                _ => sign + Fraction(u, 6) + "ms",
            };
        }
        var text = new StringBuilder(sign);
        var seconds = u / 1_000_000_000;
        var fraction = u % 1_000_000_000;
        var (h, m, sec) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        if (h > 0) text.Append(h.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (h > 0 || m > 0) text.Append(m.ToString(CultureInfo.InvariantCulture)).Append('m');
        text.Append(Fraction(sec * 1_000_000_000 + fraction, 9)).Append('s');
        return text.ToString();
    }

    /// <summary><paramref name="value"/> / 10^<paramref name="digits"/> with the trailing zeros of its fraction dropped.</summary>
    private static string Fraction(ulong value, int digits)
    {
        var scale = (ulong)Math.Pow(10, digits);
        var whole = (value / scale).ToString(CultureInfo.InvariantCulture);
        var rest = (value % scale).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return rest.Length == 0 ? whole : whole + "." + rest;
    }
}
