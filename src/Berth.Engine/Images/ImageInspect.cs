using System.Text.Json.Serialization;
using Berth.Oci;

namespace Berth.Engine.Images;

/// <summary>The shape of <c>docker image inspect</c> (Engine API ImageInspect).</summary>
public sealed record ImageInspect
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    public string Parent { get; init; } = "";
    public string Comment { get; init; } = "";
    public string? Created { get; init; }
    public string Container { get; init; } = "";
    public ImageConfigJson ContainerConfig { get; init; } = ImageConfigJson.From(null);
    public string DockerVersion { get; init; } = "";
    public string Author { get; init; } = "";
    public required ImageConfigJson Config { get; init; }
    public required string Architecture { get; init; }
    public required string Os { get; init; }
    public long Size { get; init; }
    public long VirtualSize { get; init; }
    public required GraphDriverDataJson GraphDriver { get; init; }
    public required RootFsJson RootFS { get; init; }
    public required ImageMetadataJson Metadata { get; init; }
    public required DescriptorJson Descriptor { get; init; }
}

public sealed record RootFsJson(string Type, IReadOnlyList<string> Layers);

public sealed record GraphDriverDataJson(IReadOnlyDictionary<string, string> Data, string Name = "overlay2");

/// <summary>An image's container config as docker's image inspect shows it: every field of docker's Config, in its
/// order, with null or empty where the image sets nothing (templates such as <c>{{.Config.Env}}</c> must find them).</summary>
public sealed record ImageConfigJson
{
    public string Hostname { get; init; } = "";
    public string Domainname { get; init; } = "";
    public string User { get; init; } = "";
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    public bool Tty { get; init; }
    public bool OpenStdin { get; init; }
    public bool StdinOnce { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public HealthConfig? Healthcheck { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool ArgsEscaped { get; init; }
    public string Image { get; init; } = "";
    public IReadOnlyDictionary<string, EmptyObject>? Volumes { get; init; }
    public string WorkingDir { get; init; } = "";
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? OnBuild { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StopSignal { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Shell { get; init; }

    public static ImageConfigJson From(ContainerConfig? c) => c is null ? new() : new()
    {
        User = c.User ?? "",
        ExposedPorts = c.ExposedPorts,
        Env = c.Env,
        Cmd = c.Cmd,
        Healthcheck = c.Healthcheck,
        ArgsEscaped = c.ArgsEscaped,
        Volumes = c.Volumes,
        WorkingDir = c.WorkingDir ?? "",
        Entrypoint = c.Entrypoint,
        OnBuild = c.OnBuild,
        Labels = c.Labels,
        StopSignal = c.StopSignal,
        Shell = c.Shell,
    };
}

public sealed record ImageMetadataJson(string? LastTagTime);

public sealed record DescriptorJson(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size);

/// <summary>One row of <c>images --format json</c>, as docker prints it.</summary>
public sealed record ImageSummaryJson(string Containers, string CreatedAt, string CreatedSince, string Digest, string ID,
    string Repository, string SharedSize, string Size, string Tag, string UniqueSize, string VirtualSize);

public sealed record HistoryJson(string Comment, string CreatedAt, string CreatedBy, string CreatedSince, string ID, string Size);

public sealed record DfImageJson(string Repository, string Tag, string ID, string CreatedSince, string Size, string SharedSize, string UniqueSize, string Containers);
