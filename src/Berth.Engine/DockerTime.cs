using System.Globalization;
using Berth.Oci.Errors;

namespace Berth.Engine;

/// <summary>The times docker takes for <c>--since</c>, <c>--until</c> and the <c>until</c> filter, as dockerd's
/// timetypes.GetTimestamp reads them (the CLI sends them on as typed, so both front ends read the same forms): Unix
/// seconds with a fraction down to nanoseconds (<c>1700000000.123456789</c>), RFC 3339 or a date, or a Go duration
/// before now (<c>10m</c>, <c>1h30m</c>, <c>250ms</c>). Kept to the tick (100 ns), the engine's precision: a since a
/// moment after an event leaves it out.</summary>
public static class DockerTime
{
    public static DateTimeOffset Parse(string s, DateTimeOffset now)
    {
        if (decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var unix))
            return DateTimeOffset.UnixEpoch.AddTicks((long)(unix * TimeSpan.TicksPerSecond));
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t;
        var total = TimeSpan.Zero;
        var number = "";
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            if (char.IsAsciiDigit(ch) || ch == '.') { number += ch; continue; }
            if (number.Length == 0) throw BerthException.Invalid($"invalid time '{s}'");
            var v = double.Parse(number, CultureInfo.InvariantCulture);
            number = "";
            if (ch == 'm' && i + 1 < s.Length && s[i + 1] == 's') { total += TimeSpan.FromMilliseconds(v); i++; continue; }
            total += ch switch
            {
                'h' => TimeSpan.FromHours(v),
                'm' => TimeSpan.FromMinutes(v),
                's' => TimeSpan.FromSeconds(v),
                _ => throw BerthException.Invalid($"invalid time '{s}'"),
            };
        }
        if (number.Length > 0) throw BerthException.Invalid($"invalid time '{s}'");
        return now - total;
    }
}
