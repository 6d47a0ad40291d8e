using System.Globalization;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>The image's ExposedPorts with <c>--expose</c> added, as docker/cli reads them: "80", "80/udp",
    /// "8000-8010/tcp" (a range is each of its ports); the protocol defaults to tcp. Null when there are none.
    /// Exposing publishes nothing: it is recorded for inspect and for <c>-P</c>.</summary>
    internal static IReadOnlyList<string>? ExposedPorts(IEnumerable<string>? image, IReadOnlyList<string> expose)
    {
        var ports = new SortedSet<string>(image ?? [], StringComparer.Ordinal);
        foreach (var e in expose)
        {
            if (e.Contains(':')) throw BerthException.Invalid($"invalid port format for --expose: {e}");
            var slash = e.LastIndexOf('/');
            var (port, proto) = slash < 0 ? (e, "tcp") : (e[..slash], e[(slash + 1)..]);
            if (proto.Length == 0) proto = "tcp";
            var (start, end) = PortRange(port, e);
            for (var p = start; p <= end; p++) ports.Add(p.ToString(CultureInfo.InvariantCulture) + "/" + proto.ToLowerInvariant());
        }
        return ports.Count == 0 ? null : ports.ToList();
    }

    /// <summary>go-connections nat.ParsePortRange, in its words.</summary>
    private static (uint Start, uint End) PortRange(string port, string flag)
    {
        if (port.Length == 0) throw BerthException.Invalid($"invalid range format for --expose: {flag}, error: empty string specified for ports");
        var dash = port.IndexOf('-');
        uint Parse(string s) => uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 65535 ? v
            : throw BerthException.Invalid($"invalid range format for --expose: {flag}, error: strconv.ParseUint: parsing \"{s}\": invalid syntax");
        if (dash < 0) return (Parse(port), Parse(port));
        var (start, end) = (Parse(port[..dash]), Parse(port[(dash + 1)..]));
        if (end < start) throw BerthException.Invalid($"invalid range format for --expose: {flag}, error: invalid range specified for the Port: {port}");
        return (start, end);
    }
}
