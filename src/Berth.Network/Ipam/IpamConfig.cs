using System.Net;
using System.Net.Sockets;
using Berth.Oci.Errors;

namespace Berth.Network.Ipam;

/// <summary>What <c>network create --subnet/--gateway/--ip-range</c> ask of the bridge driver's IPAM, checked and
/// matched up as docker's CLI and daemon do: each gateway and range belongs to the one given subnet of its family,
/// one of each per subnet, the gateway neither the subnet's network nor its broadcast address. Null members were
/// not given (the caller picks a pool and its first address).</summary>
public sealed record IpamConfig
{
    public Ipv4Subnet? Subnet { get; init; }
    public uint? Gateway { get; init; }
    public Ipv4Subnet? IpRange { get; init; }
    public Ipv6Subnet? Subnet6 { get; init; }
    public UInt128? Gateway6 { get; init; }

    /// <summary>docker's errors: "Invalid subnet …", "bridge driver doesn't support multiple subnets", "every ip-range
    /// or gateway must have a corresponding subnet", "no matching subnet for gateway|range …", "invalid CIDR
    /// address: …", "failed to allocate gateway (…): Address already in use".</summary>
    public static IpamConfig Parse(IReadOnlyList<string> subnets, IReadOnlyList<string> gateways, IReadOnlyList<string> ranges)
    {
        Ipv4Subnet? v4 = null;
        Ipv6Subnet? v6 = null;
        foreach (var s in subnets)
        {
            if (Ipv4Subnet.TryParse(s, out var a))
            {
                if (v4 is not null) throw BerthException.Invalid("bridge driver doesn't support multiple subnets");
                v4 = a;
            }
            else if (Ipv6Subnet.TryParse(s, out var b))
            {
                if (v6 is not null) throw BerthException.Invalid("bridge driver doesn't support multiple subnets");
                v6 = b;
            }
            else throw BerthException.Invalid($"Invalid subnet {s} : invalid CIDR address: {s}");
        }
        // docker's CLI: more gateways or ranges than subnets cannot each have their own.
        if (gateways.Count > subnets.Count || ranges.Count > subnets.Count)
            throw BerthException.Invalid("every ip-range or gateway must have a corresponding subnet");
        var config = new IpamConfig { Subnet = v4, Subnet6 = v6 };
        foreach (var r in ranges)
        {
            if (Ipv4Subnet.TryParse(r, out var range))
            {
                if (v4 is not { } subnet || !subnet.Contains(range.Network)) throw BerthException.Invalid($"no matching subnet for range {r}");
                if (config.IpRange is not null) throw BerthException.Invalid("every ip-range or gateway must have a corresponding subnet");
                config = config with { IpRange = range };
            }
            else if (Ipv6Subnet.TryParse(r, out var range6))
            {
                if (v6 is not { } subnet6 || !subnet6.Contains(range6.Network)) throw BerthException.Invalid($"no matching subnet for range {r}");
                throw new BerthException(ErrorKind.NotImplemented, $"--ip-range {r}: IPv6 ranges are not supported by berth yet");
            }
            else throw BerthException.Invalid($"invalid CIDR address: {r}");
        }
        foreach (var g in gateways)
        {
            if (!IPAddress.TryParse(g, out var ip)) throw BerthException.Invalid($"no matching subnet for gateway {g}");
            if (ip.AddressFamily == AddressFamily.InterNetwork)
            {
                var a = Ipv4Subnet.ToUInt(ip);
                if (v4 is not { } subnet || !subnet.Contains(a)) throw BerthException.Invalid($"no matching subnet for gateway {g}");
                if (config.Gateway is not null) throw BerthException.Invalid("every ip-range or gateway must have a corresponding subnet");
                if (a == subnet.Network || a == subnet.Broadcast) throw BerthException.Conflict($"failed to allocate gateway ({g}): Address already in use");
                config = config with { Gateway = a };
            }
            else
            {
                var a = Ipv6Subnet.ToUInt128(ip);
                if (v6 is not { } subnet6 || !subnet6.Contains(a)) throw BerthException.Invalid($"no matching subnet for gateway {g}");
                if (config.Gateway6 is not null) throw BerthException.Invalid("every ip-range or gateway must have a corresponding subnet");
                if (a == subnet6.Network) throw BerthException.Conflict($"failed to allocate gateway ({g}): Address already in use");
                config = config with { Gateway6 = a };
            }
        }
        return config;
    }
}
