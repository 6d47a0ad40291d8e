using System.Text;
using System.Text.Json.Nodes;
using Berth.Distribution.Credentials;
using Berth.Testing;

namespace Berth.Distribution.Tests;

public sealed class DockerConfigStoreTests
{
    [Fact]
    public async Task CredentialsAreWrittenAsDockerWritesThemAndOtherKeysKept()
    {
        // A user logged in with docker is logged in with berth and the other way round: same file, same encoding.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), """{"auths":{"other:1":{"auth":"eDp5"}},"psFormat":"table {{.ID}}"}""");
        var store = new DockerConfigStore(dir.Path);
        await store.StoreAsync("localhost:5000", new RegistryCredentials("alice", "s3cr:et"), CancellationToken.None);
        await store.StoreAsync("docker.io", new RegistryCredentials("bob", "pw"), CancellationToken.None);
        var json = JsonNode.Parse(File.ReadAllText(dir.Combine("config.json")))!;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr:et")), json["auths"]!["localhost:5000"]!["auth"]!.GetValue<string>());
        Assert.NotNull(json["auths"]!["https://index.docker.io/v1/"]);
        Assert.Equal("table {{.ID}}", json["psFormat"]!.GetValue<string>());
        Assert.Equal("eDp5", json["auths"]!["other:1"]!["auth"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.Combine("config.json")));

        var back = await store.GetAsync("localhost:5000", CancellationToken.None);
        Assert.Equal(("alice", "s3cr:et"), (back!.Username, back.Password));
        Assert.Equal("bob", (await store.GetAsync("docker.io", CancellationToken.None))!.Username);
        Assert.True(await store.EraseAsync("localhost:5000", CancellationToken.None));
        Assert.Null(await store.GetAsync("localhost:5000", CancellationToken.None));
        Assert.False(await store.EraseAsync("localhost:5000", CancellationToken.None));
    }

    [Fact]
    public async Task KeysWrittenWithASchemeStillMatch()
    {
        // Older docker versions wrote "http://host:port" keys; they name the same registry.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), """{"auths":{"http://localhost:5000":{"auth":"dTpw"}}}""");
        var c = await new DockerConfigStore(dir.Path).GetAsync("localhost:5000", CancellationToken.None);
        Assert.Equal(("u", "p"), (c!.Username, c.Password));
    }

    [Fact]
    public async Task CorruptConfigIsAClearError()
    {
        // A broken config.json must be named, not crash berth or be overwritten.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), "{not json");
        var e = await Assert.ThrowsAsync<Oci.Errors.BerthException>(() => new DockerConfigStore(dir.Path).GetAsync("x", CancellationToken.None).AsTask());
        Assert.Contains("config.json: invalid JSON", e.Message);
        Assert.Equal("{not json", File.ReadAllText(dir.Combine("config.json")));
    }
}
