using System.Globalization;

namespace Berth.Dockerfile.Instructions;

/// <summary>Go's <c>time.ParseDuration</c> (<c>30s</c>, <c>1m30s</c>, <c>1.5h</c>, <c>500ms</c>), as HEALTHCHECK flags use it.</summary>
internal static class GoDuration
{
    /// <exception cref="InstructionException">The text is not a Go duration.</exception>
    public static TimeSpan Parse(string s)
    {
        var orig = s;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0")
        {
            return TimeSpan.Zero;
        }
        if (s.Length == 0)
        {
            throw Invalid(orig);
        }
        decimal totalNs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            var numText = s[start..i];
            if (numText.Length == 0 || numText == "." || numText.Count(c => c == '.') > 1
                || !decimal.TryParse(numText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw Invalid(orig);
            }
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            var unit = s[unitStart..i];
            decimal ns = unit switch
            {
                "ns" => 1m,
                "us" or "\u00b5s" or "\u03bcs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                "" => throw new InstructionException($"time: missing unit in duration \"{orig}\""),
                _ => throw new InstructionException($"time: unknown unit \"{unit}\" in duration \"{orig}\""),
            };
            totalNs += number * ns;
            if (totalNs > long.MaxValue)
            {
                throw new InstructionException($"time: invalid duration \"{orig}\"");
            }
        }
        var ticks = (long)(totalNs / 100m);
        return TimeSpan.FromTicks(negative ? -ticks : ticks);
    }

    private static InstructionException Invalid(string s) => new($"time: invalid duration \"{s}\"");
}
