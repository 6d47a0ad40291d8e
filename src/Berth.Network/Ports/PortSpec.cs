using System.Globalization;
using System.Net;
using Berth.Oci.Errors;

namespace Berth.Network.Ports;

/// <summary>One <c>-p</c> request, one port of it: a container port and protocol, and the host side asked for
/// (an address, "" for every address; a port range, 0–0 for a random port).</summary>
public sealed record PortRequest(string HostIp, int HostPortFirst, int HostPortLast, int ContainerPort, string Protocol)
{
    /// <summary>docker's key for the container side: <c>80/tcp</c>.</summary>
    public string Key => $"{ContainerPort}/{Protocol}";
}

/// <summary><c>-p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]</c> as docker's CLI reads it (nat.ParsePortSpec): ranges
/// on either side (<c>8000-8002:80-82</c>; a host range for one container port means "one free port of it"), an IPv6
/// host address in brackets, and docker's error messages.</summary>
public static class PortSpec
{
    public static IReadOnlyList<PortRequest> Parse(string spec)
    {
        var proto = "tcp";
        var body = spec;
        var slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            proto = spec[(slash + 1)..].ToLowerInvariant();
            body = spec[..slash];
            if (proto is not ("tcp" or "udp" or "sctp")) throw BerthException.Invalid($"invalid proto: {proto}");
        }
        string ip = "", hostPart = "", containerPart;
        if (body.StartsWith('['))
        {
            var close = body.IndexOf(']');
            if (close < 0) throw BerthException.Invalid($"invalid IP address: {body}");
            ip = body[1..close];
            var rest = body[(close + 1)..];
            if (!rest.StartsWith(':')) throw BerthException.Invalid($"invalid port specification: \"{spec}\"");
            var parts = rest[1..].Split(':');
            if (parts.Length != 2) throw BerthException.Invalid($"invalid port specification: \"{spec}\"");
            (hostPart, containerPart) = (parts[0], parts[1]);
        }
        else
        {
            var parts = body.Split(':');
            switch (parts.Length)
            {
                case 1: containerPart = parts[0]; break;
                case 2: (hostPart, containerPart) = (parts[0], parts[1]); break;
                case 3: (ip, hostPart, containerPart) = (parts[0], parts[1], parts[2]); break;
                default: throw BerthException.Invalid($"invalid port specification: \"{spec}\"");
            }
        }
        // IPAddress.TryParse takes "1.2.3" (as 1.2.0.3); docker's net.ParseIP wants four parts or an IPv6 address.
        if (ip.Length > 0 && (!IPAddress.TryParse(ip, out _) || (!ip.Contains(':') && ip.Count(c => c == '.') != 3))) throw BerthException.Invalid($"invalid IP address: {ip}");
        if (containerPart.Length == 0) throw BerthException.Invalid("no port specified: " + spec + "<empty>");
        var (cFirst, cLast) = Range(containerPart, "invalid containerPort: " + containerPart);
        var (hFirst, hLast) = hostPart.Length == 0 ? (0, 0) : Range(hostPart, "invalid hostPort: " + hostPart);
        var count = cLast - cFirst + 1;
        if (hostPart.Length > 0 && hLast - hFirst + 1 != count && count != 1)
            throw BerthException.Invalid($"invalid ranges specified for container and host Ports: {containerPart} and {hostPart}");
        var list = new List<PortRequest>();
        for (var i = 0; i < count; i++)
        {
            var (first, last) = hostPart.Length == 0 ? (0, 0) : count == 1 ? (hFirst, hLast) : (hFirst + i, hFirst + i);
            list.Add(new PortRequest(ip, first, last, cFirst + i, proto));
        }
        return list;
    }

    /// <summary>EXPOSE and <c>--expose</c> entries: <c>80</c>, <c>80/udp</c>, <c>8000-8002/tcp</c>, as keys.</summary>
    public static IReadOnlyList<string> ExposedKeys(string spec)
    {
        var slash = spec.IndexOf('/');
        var proto = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp")) throw BerthException.Invalid($"invalid proto: {proto}");
        var (first, last) = Range(slash < 0 ? spec : spec[..slash], $"invalid range format for --expose: {spec}");
        return Enumerable.Range(first, last - first + 1).Select(p => $"{p}/{proto}").ToList();
    }

    private static (int First, int Last) Range(string text, string error)
    {
        var dash = text.IndexOf('-');
        if (dash < 0) return (Port(text, error), Port(text, error));
        var (a, b) = (Port(text[..dash], error), Port(text[(dash + 1)..], error));
        if (b < a) throw BerthException.Invalid(error);
        return (a, b);
    }

    private static int Port(string text, string error) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p : throw BerthException.Invalid(error);
}
