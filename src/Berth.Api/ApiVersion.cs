using System.Globalization;

namespace Berth.Api;

/// <summary>An Engine API version, <c>MAJOR.MINOR</c>, as paths (<c>/v1.47/…</c>) and headers carry it.</summary>
public readonly record struct ApiVersion(int Major, int Minor) : IComparable<ApiVersion>
{
    /// <summary>The oldest version berth answers: dockerd 25+'s minimum, and what a client without negotiation
    /// (<c>Api-Version</c> missing) falls back to.</summary>
    public static readonly ApiVersion Minimum = new(1, 24);

    /// <summary>The version berth speaks, advertised by <c>/_ping</c> and <c>/version</c>.</summary>
    public static readonly ApiVersion Current = new(1, 47);

    public static bool TryParse(ReadOnlySpan<char> text, out ApiVersion version)
    {
        version = default;
        var dot = text.IndexOf('.');
        if (dot <= 0) return false;
        if (!int.TryParse(text[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ||
            !int.TryParse(text[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)) return false;
        version = new ApiVersion(major, minor);
        return true;
    }

    public int CompareTo(ApiVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);
    public static bool operator <(ApiVersion a, ApiVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ApiVersion a, ApiVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ApiVersion a, ApiVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ApiVersion a, ApiVersion b) => a.CompareTo(b) >= 0;
    public override string ToString() => $"{Major}.{Minor}";
}
