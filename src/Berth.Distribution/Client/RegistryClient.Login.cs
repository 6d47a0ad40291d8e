using System.Net;
using Berth.Distribution.Credentials;
using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

public sealed partial class RegistryClient
{
    /// <summary>Checks credentials as <c>docker login</c> does: <c>GET /v2/</c>, answering the registry's
    /// challenge with them (Basic, or a token fetched from the realm with them). Throws Unauthenticated when the
    /// registry or its token server refuses them.</summary>
    public static async Task VerifyCredentialsAsync(string domain, RegistrySettings settings, RegistryCredentials credentials, TimeProvider time, CancellationToken ct)
    {
        using var client = new RegistryClient(domain, settings, new FixedCredentials(credentials), time);
        var url = await client.UrlAsync("", ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, ct);
        }
        catch (RegistryException e) when (e.Kind == ErrorKind.Unauthenticated)
        {
            throw new RegistryException(ErrorKind.Unauthenticated, $"login attempt to {url} failed: {e.Message}", e.Code, e.Status, e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new RegistryException(ErrorKind.Unauthenticated, $"login attempt to {url} failed with status: 401 Unauthorized", "UNAUTHORIZED", 401);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"login attempt to {url} failed", ct);
        }
    }

    private sealed class FixedCredentials(RegistryCredentials credentials) : ICredentialStore
    {
        public ValueTask<RegistryCredentials?> GetAsync(string domain, CancellationToken ct) => ValueTask.FromResult<RegistryCredentials?>(credentials);
        public ValueTask StoreAsync(string domain, RegistryCredentials c, CancellationToken ct) => throw new NotSupportedException();
        public ValueTask<bool> EraseAsync(string domain, CancellationToken ct) => throw new NotSupportedException();
    }
}
