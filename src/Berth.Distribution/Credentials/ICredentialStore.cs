namespace Berth.Distribution.Credentials;

/// <summary>Where credentials are kept, per registry domain (<c>docker.io</c>, <c>localhost:5000</c>).</summary>
public interface ICredentialStore
{
    /// <summary>The credentials for <paramref name="domain"/>, or null when none are stored.</summary>
    ValueTask<RegistryCredentials?> GetAsync(string domain, CancellationToken ct);

    ValueTask StoreAsync(string domain, RegistryCredentials credentials, CancellationToken ct);

    /// <summary>Forgets the credentials; false when there were none.</summary>
    ValueTask<bool> EraseAsync(string domain, CancellationToken ct);
}
