using Berth.Oci.Errors;

namespace Berth.Network.Ipam;

/// <summary>Docker's IPAM for a bridge network, as data: the gateway is the subnet's first address, containers get the
/// lowest free address after it (freed when the container stops), never the network or broadcast address.</summary>
public static class AddressAllocator
{
    public static uint Gateway(Ipv4Subnet subnet) => subnet.Network + 1;

    /// <summary>The lowest address of <paramref name="subnet"/> (of <paramref name="range"/> within it, docker's
    /// <c>--ip-range</c>, when given) that is neither the network, the gateway, the broadcast address nor one of
    /// <paramref name="used"/>.</summary>
    public static uint LowestFree(Ipv4Subnet subnet, uint gateway, IReadOnlyCollection<uint> used, Ipv4Subnet? range = null)
    {
        var taken = used as ISet<uint> ?? new HashSet<uint>(used);
        var first = Math.Max(subnet.Network + 1, range?.Network ?? 0);
        var last = Math.Min(subnet.Broadcast - 1, range?.Broadcast ?? uint.MaxValue);
        for (var a = first; a <= last && a >= first; a++)
            if (a != gateway && !taken.Contains(a)) return a;
        throw new BerthException(ErrorKind.Unavailable, $"no available IPv4 address on network {range ?? subnet}");
    }

    /// <summary>Checks an address asked for with <c>--ip</c>: inside the subnet (anywhere, not only in the range, as
    /// docker) and neither the network, broadcast or gateway address nor held by another container. docker's
    /// errors.</summary>
    public static void CheckRequested(Ipv4Subnet subnet, uint gateway, IReadOnlyCollection<uint> used, uint address)
    {
        if (!subnet.Contains(address))
            throw BerthException.Invalid($"Invalid address {Ipv4Subnet.Format(address)}: It does not belong to any of this network's subnets");
        if (address == subnet.Network || address == subnet.Broadcast || address == gateway || used.Contains(address))
            throw BerthException.Conflict("Address already in use");
    }

    /// <summary>The lowest free IPv6 address of <paramref name="subnet"/> after its first (the subnet-router anycast
    /// address) that is not the gateway nor one of <paramref name="used"/>.</summary>
    public static UInt128 LowestFree6(Ipv6Subnet subnet, UInt128 gateway, IReadOnlyCollection<UInt128> used)
    {
        var taken = used as ISet<UInt128> ?? new HashSet<UInt128>(used);
        for (var a = subnet.Network + 1; a <= subnet.Last && a > subnet.Network; a++)
            if (a != gateway && !taken.Contains(a)) return a;
        throw new BerthException(ErrorKind.Unavailable, $"no available IPv6 address on network {subnet}");
    }

    /// <summary><see cref="CheckRequested"/> for <c>--ip6</c>.</summary>
    public static void CheckRequested6(Ipv6Subnet subnet, UInt128 gateway, IReadOnlyCollection<UInt128> used, UInt128 address)
    {
        if (!subnet.Contains(address))
            throw BerthException.Invalid($"Invalid address {Ipv6Subnet.Format(address)}: It does not belong to any of this network's subnets");
        if (address == subnet.Network || address == gateway || used.Contains(address))
            throw BerthException.Conflict("Address already in use");
    }

    /// <summary>A fresh unique local IPv6 /64 (RFC 4193: fd00::/8 and 40 random bits), for <c>--ipv6</c> without an
    /// IPv6 <c>--subnet</c>, as docker 27+ hands out from its ULA pool.</summary>
    public static Ipv6Subnet RandomUniqueLocal()
    {
        Span<byte> b = stackalloc byte[16];
        Berth.Interop.KernelRandom.Fill(b[1..6]);
        b[0] = 0xfd;
        b[6..].Clear();
        return new Ipv6Subnet(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b), 64);
    }

    /// <summary>Parses a MAC address (<c>02:42:ac:11:00:02</c>, or with dashes) as docker's <c>--mac-address</c>
    /// takes it; null when it is not a 6-byte one.</summary>
    public static byte[]? TryParseMac(string text)
    {
        var parts = text.Split(text.Contains('-') ? '-' : ':');
        if (parts.Length != 6) return null;
        var mac = new byte[6];
        for (var i = 0; i < 6; i++)
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], System.Globalization.NumberStyles.AllowHexSpecifier, null, out mac[i])) return null;
        return mac;
    }

    /// <summary>Docker's container MAC: 02:42 and the four bytes of the IPv4 address.</summary>
    public static byte[] MacFor(uint address) => [0x02, 0x42, (byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address];

    public static string FormatMac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));

    /// <summary>The pools docker hands out, in order: 172.17–31.0.0/16, then 192.168.0–240.0/20.</summary>
    public static IEnumerable<Ipv4Subnet> DefaultPools()
    {
        for (uint b = 17; b <= 31; b++) yield return new Ipv4Subnet(172u << 24 | b << 16, 16);
        for (uint c = 0; c < 256; c += 16) yield return new Ipv4Subnet(192u << 24 | 168u << 16 | c << 8, 20);
    }

    /// <summary>The first default pool that overlaps neither a route of the namespace (<paramref name="routes"/>,
    /// default routes excluded) nor another network's subnet.</summary>
    public static Ipv4Subnet ChoosePool(IEnumerable<Ipv4Subnet> routes, IEnumerable<Ipv4Subnet> taken)
    {
        var busy = routes.Where(r => r.PrefixLength > 0).Concat(taken).ToList();
        foreach (var pool in DefaultPools())
            if (!busy.Any(pool.Overlaps)) return pool;
        throw new BerthException(ErrorKind.Unavailable, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    }

    /// <summary>The IPv4 routes of the calling thread's network namespace, from <c>/proc/net/route</c>'s text
    /// (destination and mask in little-endian hex, as the kernel prints them).</summary>
    public static IReadOnlyList<Ipv4Subnet> ParseProcRoutes(string text)
    {
        var list = new List<Ipv4Subnet>();
        foreach (var line in text.Split('\n').Skip(1))
        {
            var f = line.Split('\t', StringSplitOptions.TrimEntries);
            if (f.Length < 8) continue;
            if (!uint.TryParse(f[1], System.Globalization.NumberStyles.HexNumber, null, out var dest)
                || !uint.TryParse(f[7], System.Globalization.NumberStyles.HexNumber, null, out var mask)) continue;
            dest = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(dest);
            mask = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(mask);
            list.Add(new Ipv4Subnet(dest & mask, System.Numerics.BitOperations.PopCount(mask)));
        }
        return list;
    }
}
