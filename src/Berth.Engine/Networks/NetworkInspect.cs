namespace Berth.Engine.Networks;

/// <summary><c>docker network inspect</c>'s shape (API 1.41), in docker's field order.</summary>
public sealed record NetworkInspect
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    public required string Created { get; init; }
    public string Scope { get; init; } = "local";
    public required string Driver { get; init; }
    public bool EnableIPv6 { get; init; }
    public required NetworkIpam IPAM { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool Ingress { get; init; }
    public NetworkConfigFrom ConfigFrom { get; init; } = new();
    public bool ConfigOnly { get; init; }
    public IReadOnlyDictionary<string, NetworkContainer> Containers { get; init; } = new Dictionary<string, NetworkContainer>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

public sealed record NetworkIpam
{
    public string Driver { get; init; } = "default";
    public IReadOnlyDictionary<string, string>? Options { get; init; }
    public IReadOnlyList<NetworkIpamConfig>? Config { get; init; }
}

public sealed record NetworkIpamConfig
{
    public required string Subnet { get; init; }
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? IPRange { get; init; }
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Gateway { get; init; }
}

public sealed record NetworkConfigFrom
{
    public string Network { get; init; } = "";
}

public sealed record NetworkContainer
{
    public required string Name { get; init; }
    public required string EndpointID { get; init; }
    public required string MacAddress { get; init; }
    public required string IPv4Address { get; init; }
    public string IPv6Address { get; init; } = "";
}

/// <summary>What <c>network create</c> asks for, as the CLI parsed it.</summary>
public sealed record NetworkCreateRequest
{
    public required string Name { get; init; }
    public string Driver { get; init; } = "bridge";
    /// <summary><c>--subnet</c>: at most one IPv4 and one IPv6 CIDR (the bridge driver takes one of each).</summary>
    public IReadOnlyList<string> Subnets { get; init; } = [];
    /// <summary><c>--gateway</c>, each in one of <see cref="Subnets"/>.</summary>
    public IReadOnlyList<string> Gateways { get; init; } = [];
    /// <summary><c>--ip-range</c>, each inside one of <see cref="Subnets"/>.</summary>
    public IReadOnlyList<string> IpRanges { get; init; } = [];
    /// <summary><c>--ipv6</c> (implied by an IPv6 <c>--subnet</c>).</summary>
    public bool EnableIPv6 { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a container asks of its endpoint on a network (docker's EndpointSettings.IPAMConfig and MAC):
/// <c>--ip</c>, <c>--ip6</c>, <c>--mac-address</c>. Null members are berth's to choose.</summary>
public sealed record AddressRequest
{
    public string? IPv4Address { get; init; }
    public string? IPv6Address { get; init; }
    public string? MacAddress { get; init; }

    /// <summary>A MAC address in docker's form (lower case, colons); docker/cli's error when it is not one.</summary>
    public static string NormalizeMac(string text) =>
        Berth.Network.Ipam.AddressAllocator.TryParseMac(text) is { } mac ? Berth.Network.Ipam.AddressAllocator.FormatMac(mac)
        : throw Berth.Oci.Errors.BerthException.Invalid($"{text} is not a valid mac address");

    /// <summary>Checks the form of <c>--ip</c>/<c>--ip6</c> as dockerd does at create ("invalid IPv4 address: …").</summary>
    public static void CheckAddresses(string? ipv4, string? ipv6)
    {
        if (ipv4 is not null && (!System.Net.IPAddress.TryParse(ipv4, out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || ipv4.Count(c => c == '.') != 3))
            throw Berth.Oci.Errors.BerthException.Invalid($"invalid IPv4 address: {ipv4}");
        if (ipv6 is not null && Berth.Network.Ipam.Ipv6Subnet.TryParseAddress(ipv6) is null)
            throw Berth.Oci.Errors.BerthException.Invalid($"invalid IPv6 address: {ipv6}");
    }
}
