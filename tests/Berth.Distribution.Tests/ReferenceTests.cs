using Berth.Distribution.Reference;
using Berth.Oci;

namespace Berth.Distribution.Tests;

public sealed class ReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", "busybox:latest")]
    [InlineData("docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "busybox:latest")]
    [InlineData("index.docker.io/me/app:1", "docker.io", "me/app", "1", "me/app:1")]
    [InlineData("localhost:5000/app", "localhost:5000", "app", "latest", "localhost:5000/app:latest")]
    [InlineData("localhost/app:v2", "localhost", "app", "v2", "localhost/app:v2")]
    [InlineData("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", "127.0.0.1:5000/a/b/c:t")]
    [InlineData("ghcr.io/o/r", "ghcr.io", "o/r", "latest", "ghcr.io/o/r:latest")]
    public void NamesNormaliseAsDockerDoes(string input, string domain, string path, string tag, string familiar)
    {
        // A user types docker's short names; the registry and repository they mean must be the ones docker picks.
        var r = ImageReference.Parse(input);
        Assert.Equal((domain, path, tag, familiar), (r.Domain, r.Path, r.Tag, r.FamiliarName));
    }

    [Fact]
    public void DigestReferencesKeepTheDigestAndNoDefaultTag()
    {
        // Pull by digest must fetch exactly that manifest, never ":latest".
        var d = "sha256:" + new string('a', 64);
        var r = ImageReference.Parse("localhost:5000/app@" + d);
        Assert.Null(r.Tag);
        Assert.Equal(d, r.Digest.ToString());
        Assert.Equal("localhost:5000/app@" + d, r.FamiliarName);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("me/Upper")]
    [InlineData("app:")]
    [InlineData("app@sha256:123")]
    [InlineData("a//b")]
    public void BadNamesAreRefused(string input)
    {
        // docker answers these with "invalid reference format"; a registry must never see them.
        Assert.False(ImageReference.TryParse(input, out _));
    }

    [Theory]
    [InlineData("docker.io", "registry-1.docker.io")]
    [InlineData("index.docker.io", "registry-1.docker.io")]
    [InlineData("localhost:5000", "localhost:5000")]
    [InlineData("quay.io", "quay.io")]
    public void DockerIoNamesAreServedByDockerHubsEndpoint(string domain, string endpoint)
    {
        // docker.io is a name, not a host: Docker Hub's registry answers on registry-1.docker.io.
        Assert.Equal(endpoint, RegistryHost.EndpointOf(domain));
    }

    [Theory]
    [InlineData(null, "docker.io")]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("http://localhost:5000/", "localhost:5000")]
    [InlineData("myreg.example:443", "myreg.example:443")]
    public void LoginServersNormaliseToDomains(string? server, string domain)
    {
        // `login https://host/` and `login host` must store and find the same credentials.
        Assert.Equal(domain, RegistryHost.DomainOfServer(server));
    }

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("10.0.0.1:5000", false)]
    [InlineData("registry.example", false)]
    public void OnlyLoopbackMayUsePlainHttpByDefault(string host, bool loopback)
    {
        // Plain HTTP towards any other host would send images and credentials in clear.
        Assert.Equal(loopback, RegistryHost.IsLoopback(host));
        Assert.Equal(loopback, new Client.RegistrySettings().AllowsPlainHttp(host));
        Assert.True(new Client.RegistrySettings { InsecureRegistries = [host] }.AllowsPlainHttp(host));
    }
}
