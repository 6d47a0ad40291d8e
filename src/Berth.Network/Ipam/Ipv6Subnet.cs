using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Berth.Oci.Errors;

namespace Berth.Network.Ipam;

/// <summary>An IPv6 prefix (<c>fd00:1::/64</c>). Addresses are handled as host-order <see cref="UInt128"/>s.</summary>
public readonly record struct Ipv6Subnet(UInt128 Network, int PrefixLength)
{
    public UInt128 Mask => PrefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - PrefixLength);
    public UInt128 Last => Network | ~Mask;

    /// <summary>Parses CIDR notation (host bits cleared); docker's error otherwise.</summary>
    public static Ipv6Subnet Parse(string cidr) =>
        TryParse(cidr, out var subnet) ? subnet : throw BerthException.Invalid($"Invalid subnet {cidr} : invalid CIDR address: {cidr}");

    public static bool TryParse(string cidr, out Ipv6Subnet subnet)
    {
        subnet = default;
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !int.TryParse(cidr.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out var len) || len is < 0 or > 128) return false;
        if (!IPAddress.TryParse(cidr.AsSpan(0, slash), out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6 || ip.ScopeId != 0) return false;
        var mask = len == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - len);
        subnet = new Ipv6Subnet(ToUInt128(ip) & mask, len);
        return true;
    }

    public bool Contains(UInt128 address) => (address & Mask) == Network;

    public bool Overlaps(Ipv6Subnet other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = shorter == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - shorter);
        return (Network & mask) == (other.Network & mask);
    }

    /// <summary>An IPv6 address (not an IPv4 one, nor one mapped from IPv4) as a number, or null.</summary>
    public static UInt128? TryParseAddress(string text) =>
        IPAddress.TryParse(text, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.IsIPv4MappedToIPv6 && ip.ScopeId == 0 ? ToUInt128(ip) : null;

    public static UInt128 ToUInt128(IPAddress ip) => BinaryPrimitives.ReadUInt128BigEndian(ip.GetAddressBytes());

    public static IPAddress ToAddress(UInt128 value)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static string Format(UInt128 value) => ToAddress(value).ToString();

    public override string ToString() => $"{Format(Network)}/{PrefixLength}";
}
