using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Distribution.Reference;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

/// <summary>What a user configures about registries, in berth's configuration file (JSON, as docker's
/// daemon.json spells the keys): registries that may be spoken to over plain HTTP or with unverified TLS
/// (<c>insecure-registries</c>), where per-registry CA and client certificates live
/// (<c>certs-directories</c>, each holding <c>HOST[:PORT]/ca.crt</c>, <c>*.cert</c> + <c>*.key</c>), and how
/// many layers move at once.</summary>
public sealed record RegistrySettings
{
    /// <summary>The configuration file, unless <see cref="ConfigVariable"/> names another.</summary>
    public const string DefaultConfigPath = "/etc/berth/config.json";
    public const string ConfigVariable = "BERTH_CONFIG";

    [JsonPropertyName("insecure-registries")] public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    [JsonPropertyName("certs-directories")]
    public IReadOnlyList<string> CertsDirectories { get; init; } = ["/etc/berth/certs.d", "/etc/docker/certs.d"];

    [JsonPropertyName("max-concurrent-downloads")] public int MaxConcurrentDownloads { get; init; } = 3;
    [JsonPropertyName("max-concurrent-uploads")] public int MaxConcurrentUploads { get; init; } = 5;

    /// <summary>True when plain HTTP (or TLS without verification) is allowed: a loopback address, as docker's
    /// default 127.0.0.0/8, or a registry listed in <see cref="InsecureRegistries"/>.</summary>
    public bool AllowsPlainHttp(string hostAndPort) =>
        RegistryHost.IsLoopback(hostAndPort) || IsListedInsecure(hostAndPort);

    public bool IsListedInsecure(string hostAndPort) =>
        InsecureRegistries.Any(r => string.Equals(RegistryHost.DomainOfServer(r), hostAndPort, StringComparison.OrdinalIgnoreCase));

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
