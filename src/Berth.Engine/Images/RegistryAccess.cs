using Berth.Distribution.Client;
using Berth.Distribution.Credentials;

namespace Berth.Engine.Images;

/// <summary>How the engine reaches registries: berth's configuration file (read on first use, so a command that
/// never talks to a registry never fails on it), the credentials where docker keeps them, and one
/// <see cref="RegistryClient"/> per registry for the length of an operation.</summary>
public sealed class RegistryAccess(string configPath, string dockerConfigDirectory, TimeProvider time)
{
    private RegistrySettings? _settings;

    public RegistrySettings Settings => _settings ??= RegistrySettings.Load(configPath);

    public string ConfigPath => configPath;

    public ICredentialStore Credentials { get; } = new DockerConfigStore(dockerConfigDirectory);

    public RegistryClient Open(string domain) => new(domain, Settings, Credentials, time);

    /// <summary>A client that talks to <paramref name="mirror"/> in place of <paramref name="domain"/>'s endpoint.</summary>
    public RegistryClient OpenMirror(string domain, Uri mirror) => new(domain, Settings, Credentials, time, mirror);

    /// <summary>A client that authenticates with <paramref name="given"/> (credentials sent with a request, as the
    /// Engine API's X-Registry-Auth) instead of the stored ones; the stored ones when null.</summary>
    public RegistryClient Open(string domain, RegistryCredentials? given) =>
        given is null ? Open(domain) : new(domain, Settings, new GivenCredentials(given), time);

    private sealed class GivenCredentials(RegistryCredentials credentials) : ICredentialStore
    {
        public ValueTask<RegistryCredentials?> GetAsync(string domain, CancellationToken ct) => ValueTask.FromResult<RegistryCredentials?>(credentials);

        public ValueTask StoreAsync(string domain, RegistryCredentials c, CancellationToken ct) =>
            throw new NotSupportedException("credentials given with a request are not stored");

        public ValueTask<bool> EraseAsync(string domain, CancellationToken ct) => ValueTask.FromResult(false);
    }
}
