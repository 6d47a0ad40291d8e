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
}
