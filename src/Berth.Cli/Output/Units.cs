using System.Globalization;

namespace Berth.Cli.Output;

/// <summary>Sizes and ages printed the way docker prints them (go-units).</summary>
public static class Units
{
    private static readonly string[] Decimal = ["B", "kB", "MB", "GB", "TB", "PB"];

    /// <summary>go-units HumanSizeWithPrecision(size, 3): "4.26MB", "512B", "1.2GB".</summary>
    public static string HumanSize(double size)
    {
        int i = 0;
        while (size >= 1000 && i < Decimal.Length - 1) { size /= 1000; i++; }
        return size.ToString("G3", CultureInfo.InvariantCulture) + Decimal[i];
    }

    private static readonly string[] Binary = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>go-units BytesSize (binary units, 4 significant digits): "23.54GiB", as docker info prints memory.</summary>
    public static string BytesSize(double size)
    {
        int i = 0;
        while (size >= 1024 && i < Binary.Length - 1) { size /= 1024; i++; }
        return size.ToString("G4", CultureInfo.InvariantCulture) + Binary[i];
    }

    /// <summary>go-units HumanDuration + " ago": "3 seconds ago", "About a minute ago", "2 hours ago".</summary>
    public static string Ago(DateTimeOffset? when, DateTimeOffset now)
    {
        if (when is null) return "N/A";
        var d = now - when.Value;
        double s = d.TotalSeconds;
        string text = s switch
        {
            < 1 => "Less than a second",
            < 2 => "1 second",
            < 60 => $"{(int)s} seconds",
            < 120 => "About a minute",
            < 46 * 60 => $"{(int)d.TotalMinutes} minutes",
            < 90 * 60 => "About an hour",
            < 48 * 3600 => $"{(int)Math.Round(d.TotalHours)} hours",
            < 7 * 24 * 3600 * 2 => $"{(int)Math.Round(d.TotalHours / 24)} days",
            < 30 * 24 * 3600 * 3 => $"{(int)(d.TotalHours / 24 / 7)} weeks",
            < 365 * 24 * 3600 * 2 => $"{(int)(d.TotalHours / 24 / 30)} months",
            _ => $"{(int)(d.TotalHours / 24 / 365)} years",
        };
        return text + " ago";
    }

    /// <summary>Go's time.Time String() as docker's CreatedAt shows it: "2026-11-27 07:35:00 +0000 UTC".</summary>
    public static string GoTime(DateTimeOffset? when) =>
        when is { } w ? w.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss '+0000 UTC'", CultureInfo.InvariantCulture) : "";

    /// <summary>Parses "64m", "1g", "512k", "100" (bytes) as docker's --memory does (binary units).</summary>
    public static long ParseBytes(string s)
    {
        s = s.Trim().ToLowerInvariant();
        if (s.EndsWith('b')) s = s[..^1];
        long mult = 1;
        if (s.Length > 0 && char.IsLetter(s[^1]))
        {
            mult = s[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => throw new FormatException($"invalid size: '{s}'") };
            s = s[..^1];
        }
        return (long)(double.Parse(s, CultureInfo.InvariantCulture) * mult);
    }
}
