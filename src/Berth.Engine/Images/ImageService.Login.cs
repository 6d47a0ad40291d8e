using Berth.Distribution.Client;
using Berth.Distribution.Credentials;
using Berth.Distribution.Reference;
using Berth.Oci;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary><c>login</c>: checks the credentials against the registry, then stores them where docker keeps
    /// them (a credential helper, or config.json's auths). Returns the registry's domain.</summary>
    public async Task<string> LoginAsync(string? server, RegistryCredentials credentials, TimeProvider time, CancellationToken ct)
    {
        string domain = RegistryHost.DomainOfServer(server);
        await RegistryClient.VerifyCredentialsAsync(domain, Registries.Settings, credentials, time, ct);
        await Registries.Credentials.StoreAsync(domain, credentials, ct);
        return domain;
    }

    /// <summary>The Engine API's <c>POST /auth</c>: checks the credentials against the registry and stores nothing
    /// (the client keeps them, as with dockerd). Returns the registry's domain.</summary>
    public async Task<string> CheckCredentialsAsync(string? server, RegistryCredentials credentials, TimeProvider time, CancellationToken ct)
    {
        string domain = RegistryHost.DomainOfServer(server);
        await RegistryClient.VerifyCredentialsAsync(domain, Registries.Settings, credentials, time, ct);
        return domain;
    }

    /// <summary><c>logout</c>: forgets the credentials of a registry; false when there were none.</summary>
    public async Task<(string Domain, bool Removed)> LogoutAsync(string? server, CancellationToken ct)
    {
        string domain = RegistryHost.DomainOfServer(server);
        return (domain, await Registries.Credentials.EraseAsync(domain, ct));
    }

    /// <summary><c>manifest inspect</c>: the manifest or index a name has in its registry, as the registry sent it.</summary>
    public async Task<FetchedManifest> InspectRemoteManifestAsync(string name, CancellationToken ct)
    {
        var reference = ImageReference.Parse(name);
        using var client = Registries.Open(reference.Domain);
        return await client.GetManifestAsync(reference.Path, reference.Digest?.ToString() ?? reference.Tag!, ct);
    }

    /// <summary>The repository digests of an image (<c>busybox@sha256:…</c>, familiar names, as docker shows them).</summary>
    public IReadOnlyList<string> RepoDigestsOf(Digest image) =>
        Store.Metadata.ListRepoDigests().Where(r => r.Image == image)
            .Select(r => ImageReference.Parse(r.Repository + "@" + r.Digest).FamiliarName).ToList();
}
