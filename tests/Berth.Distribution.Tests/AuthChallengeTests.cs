using Berth.Distribution.Client;

namespace Berth.Distribution.Tests;

public sealed class AuthChallengeTests
{
    [Fact]
    public void BearerChallengeGivesRealmServiceAndScope()
    {
        // The token request is built from these three values; a wrong parse sends the user to the wrong realm.
        var c = Assert.Single(AuthChallenge.Parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\""));
        Assert.True(c.IsBearer);
        Assert.Equal(("https://auth.docker.io/token", "registry.docker.io", "repository:library/busybox:pull"), (c.Realm, c.Service, c.Scope));
    }

    [Fact]
    public void QuotedCommasAndEscapesStayInsideTheValue()
    {
        // A scope of several actions ("pull,push") holds a comma inside the quotes.
        var c = Assert.Single(AuthChallenge.Parse("Bearer realm=\"http://127.0.0.1:9/t\", scope=\"repository:a/b:pull,push\", error=\"in\\\"valid\""));
        Assert.Equal("repository:a/b:pull,push", c.Scope);
        Assert.Equal("in\"valid", c.Parameters["error"]);
    }

    [Fact]
    public void SeveralChallengesAndBasicAreTold()
    {
        // A registry may offer Basic and Bearer at once; parameter names are case-insensitive (RFC 7235).
        var list = AuthChallenge.Parse("Basic REALM=\"Registry Realm\", Bearer realm=\"https://a/token\",service=a");
        Assert.Equal(2, list.Count);
        Assert.True(list[0].IsBasic);
        Assert.Equal("Registry Realm", list[0].Realm);
        Assert.True(list[1].IsBearer);
        Assert.Equal("a", list[1].Service);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("=\"x\"")]
    [InlineData("Bearer realm=\"unterminated")]
    public void MalformedHeadersNeverThrow(string header)
    {
        // The header comes from the network: garbage must give no challenge or a partial one, not a crash.
        var list = AuthChallenge.Parse(header);
        Assert.All(list, c => Assert.False(string.IsNullOrEmpty(c.Scheme)));
    }

    [Theory]
    [InlineData("GET", "/v2/library/busybox/manifests/latest", "repository:library/busybox:pull")]
    [InlineData("HEAD", "/v2/a/b/c/blobs/sha256:00", "repository:a/b/c:pull")]
    [InlineData("POST", "/v2/app/blobs/uploads/", "repository:app:pull,push")]
    [InlineData("PUT", "/v2/app/manifests/1", "repository:app:pull,push")]
    [InlineData("GET", "/v2/", "")]
    public void RequestsAskForTheScopeTheyNeed(string method, string path, string scope)
    {
        // A pull token cannot push: writes must ask for push, reads only for pull.
        using var r = new HttpRequestMessage(new HttpMethod(method), "http://127.0.0.1:1" + path);
        Assert.Equal(scope, AuthHandler.ScopeOf(r));
    }
}
