using System.Net;
using System.Net.Sockets;
using Berth.Oci.Errors;

namespace Berth.Network.Ipam;

/// <summary>An IPv4 prefix (<c>172.17.0.0/16</c>). Addresses are handled as host-order <see cref="uint"/>s.</summary>
public readonly record struct Ipv4Subnet(uint Network, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);
    public uint Broadcast => Network | ~Mask;

    /// <summary>Parses CIDR notation; host bits must be zero unless <paramref name="keepHostBits"/>.</summary>
    public static Ipv4Subnet Parse(string cidr)
    {
        if (!TryParse(cidr, out var subnet)) throw BerthException.Invalid($"Invalid subnet {cidr} : invalid CIDR address: {cidr}");
        return subnet;
    }

    public static bool TryParse(string cidr, out Ipv4Subnet subnet)
    {
        subnet = default;
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !int.TryParse(cidr.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out var len) || len is < 0 or > 32) return false;
        if (!IPAddress.TryParse(cidr.AsSpan(0, slash), out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || cidr[..slash].Count(c => c == '.') != 3) return false;
        var mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
        subnet = new Ipv4Subnet(ToUInt(ip) & mask, len);
        return true;
    }

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Overlaps(Ipv4Subnet other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = shorter == 0 ? 0 : uint.MaxValue << (32 - shorter);
        return (Network & mask) == (other.Network & mask);
    }

    public static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    public static IPAddress ToAddress(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    public static string Format(uint value) => ToAddress(value).ToString();

    public override string ToString() => $"{Format(Network)}/{PrefixLength}";
}
