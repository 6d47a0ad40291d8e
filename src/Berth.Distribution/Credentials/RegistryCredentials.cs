namespace Berth.Distribution.Credentials;

/// <summary>What a user gave <c>login</c> for one registry: a user name and password, or an identity token
/// (a refresh token the token server accepts in place of the password).</summary>
public sealed record RegistryCredentials(string Username, string Password, string? IdentityToken = null)
{
    public override string ToString() => $"RegistryCredentials {{ Username = {Username} }}";
}
