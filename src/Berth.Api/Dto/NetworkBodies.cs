using System.Text.Json;

namespace Berth.Api.Dto;

/// <summary><c>POST /networks/create</c>'s body (docker's NetworkCreateRequest).</summary>
public sealed record NetworkCreateBody
{
    public string? Name { get; init; }
    public bool CheckDuplicate { get; init; }
    public string? Driver { get; init; }
    public string? Scope { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool Ingress { get; init; }
    public bool ConfigOnly { get; init; }
    public bool? EnableIPv6 { get; init; }
    public NetworkIpamBody? IPAM { get; init; }
    public Dictionary<string, string>? Options { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
}

public sealed record NetworkIpamBody
{
    public string? Driver { get; init; }
    public List<NetworkIpamConfigBody>? Config { get; init; }
    public Dictionary<string, string>? Options { get; init; }
}

public sealed record NetworkIpamConfigBody
{
    public string? Subnet { get; init; }
    public string? IPRange { get; init; }
    public string? Gateway { get; init; }
    public Dictionary<string, string>? AuxiliaryAddresses { get; init; }
}

public sealed record NetworkCreateResponse(string Id, string Warning);

public sealed record NetworksPruneResponse(List<string>? NetworksDeleted);

/// <summary><c>POST /networks/{id}/connect</c> and <c>/disconnect</c>.</summary>
public sealed record NetworkConnectBody
{
    public string? Container { get; init; }
    public JsonElement? EndpointConfig { get; init; }
    public bool Force { get; init; }
}
