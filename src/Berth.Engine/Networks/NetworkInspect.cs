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
    public string? Subnet { get; init; }
    public string? Gateway { get; init; }
    public bool Internal { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
