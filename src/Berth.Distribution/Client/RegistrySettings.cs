using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Distribution.Reference;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

/// <summary>What a user configures about registries, in berth's configuration file (JSON, as docker's
/// daemon.json spells the keys): registries that may be spoken to over plain HTTP or with unverified TLS
/// (<c>insecure-registries</c>), where per-registry CA and client certificates live
/// (<c>certs-directories</c>, each holding <c>HOST[:PORT]/ca.crt</c>, <c>*.cert</c> + <c>*.key</c>), mirrors
/// tried before Docker Hub when pulling <c>docker.io</c> names (<c>registry-mirrors</c>), and how many layers
/// move at once.</summary>
public sealed record RegistrySettings
{
    /// <summary>The configuration file, unless <see cref="ConfigVariable"/> names another.</summary>
    public const string DefaultConfigPath = "/etc/berth/config.json";
    public const string ConfigVariable = "BERTH_CONFIG";

    [JsonPropertyName("insecure-registries")] public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    [JsonPropertyName("certs-directories")]
    public IReadOnlyList<string> CertsDirectories { get; init; } = ["/etc/berth/certs.d", "/etc/docker/certs.d"];

    /// <summary>dockerd's <c>registry-mirrors</c>: <c>http(s)://HOST[:PORT]</c> URLs tried in order before Docker
    /// Hub for a pull of a <c>docker.io</c> name; a mirror that fails or lacks the image is passed over.</summary>
    [JsonPropertyName("registry-mirrors")] public IReadOnlyList<string> RegistryMirrors { get; init; } = [];

    [JsonPropertyName("max-concurrent-downloads")] public int MaxConcurrentDownloads { get; init; } = 3;
    [JsonPropertyName("max-concurrent-uploads")] public int MaxConcurrentUploads { get; init; } = 5;

    /// <summary>True when plain HTTP (or TLS without verification) is allowed: a loopback address, as docker's
    /// default 127.0.0.0/8, or a registry listed in <see cref="InsecureRegistries"/>.</summary>
    public bool AllowsPlainHttp(string hostAndPort) =>
        RegistryHost.IsLoopback(hostAndPort) || IsListedInsecure(hostAndPort);

    public bool IsListedInsecure(string hostAndPort) =>
        InsecureRegistries.Any(r => string.Equals(RegistryHost.DomainOfServer(r), hostAndPort, StringComparison.OrdinalIgnoreCase));

    /// <summary>The mirrors of a pull from <paramref name="domain"/>, in order (only Docker Hub has mirrors, as in
    /// dockerd).</summary>
    public IReadOnlyList<Uri> MirrorsOf(string domain) =>
        RegistryHost.EndpointOf(domain) == RegistryHost.DockerHubEndpoint ? RegistryMirrors.Select(m => new Uri(m.TrimEnd('/') + "/")).ToList() : [];

    /// <summary>dockerd's rule for a mirror: an http or https URL of a host, nothing after it.</summary>
    private static string ValidateMirror(string mirror, string path)
    {
        if (!Uri.TryCreate(mirror, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw BerthException.Invalid($"{path}: invalid mirror: \"{mirror}\" is not a valid URI (http://HOST[:PORT] or https://HOST[:PORT])");
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw BerthException.Invalid($"{path}: invalid mirror: path, query, or fragment at end of the URI \"{mirror}\"");
        return mirror;
    }

    /// <summary>Reads berth's configuration file; the defaults when it does not exist.</summary>
    public static RegistrySettings Load(string path)
    {
        if (!File.Exists(path)) return new RegistrySettings();
        try
        {
            var read = JsonSerializer.Deserialize(File.ReadAllBytes(path), DistributionJsonContext.Default.RegistrySettings);
            if (read is null) return new RegistrySettings();
            // The source generator sets init-only properties the file leaves out to null or 0: put the defaults back.
            var defaults = new RegistrySettings();
            return read with
            {
                InsecureRegistries = read.InsecureRegistries ?? defaults.InsecureRegistries,
                RegistryMirrors = (read.RegistryMirrors ?? defaults.RegistryMirrors).Select(m => ValidateMirror(m, path)).ToList(),
                CertsDirectories = read.CertsDirectories ?? defaults.CertsDirectories,
                MaxConcurrentDownloads = read.MaxConcurrentDownloads > 0 ? read.MaxConcurrentDownloads : defaults.MaxConcurrentDownloads,
                MaxConcurrentUploads = read.MaxConcurrentUploads > 0 ? read.MaxConcurrentUploads : defaults.MaxConcurrentUploads,
            };
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"{path}: invalid JSON: {e.Message}");
        }
    }
}
