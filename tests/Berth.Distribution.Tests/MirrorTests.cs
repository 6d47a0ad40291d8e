using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>dockerd's <c>registry-mirrors</c> in berth's configuration file: a pull of a docker.io name tries each
/// mirror in order, passes over one that is down or lacks the image, and falls back to Docker Hub itself.</summary>
[Collection("registry")]
public sealed class MirrorTests(BusyboxTar busybox)
{
    private static void Configure(Installation i, params string[] mirrors) =>
        File.WriteAllText(i.ConfigPath, $$"""{"certs-directories": ["{{i.CertsDirectory}}"], "registry-mirrors": [{{string.Join(", ", mirrors.Select(m => $"\"{m}\""))}}]}""");

    [Fact]
    public void ADockerHubPullGoesThroughTheFirstMirrorThatHasTheImage()
    {
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var empty = new RegistryServer();
        using var full = new RegistryServer();
        using (var a = new Installation())
        {
            a.Ok("import", busybox.Path, $"{full.Host}/library/mirrored:1");
            a.Ok("push", $"{full.Host}/library/mirrored:1");
        }
        int down = RegistryServer.FreePort();

        using var b = new Installation();
        Configure(b, $"http://127.0.0.1:{down}", $"http://{empty.Host}/", $"http://{full.Host}");
        var pull = b.Ok("pull", "mirrored:1");
        Assert.Contains("Status: Downloaded newer image for mirrored:1", pull);
        Assert.EndsWith("\ndocker.io/library/mirrored:1\n", pull);
        // Recorded under the name pulled, not the mirror's.
        Assert.Contains("\"mirrored@sha256:", b.Ok("image", "inspect", "--format", "{{json .RepoDigests}}", "mirrored:1"));
        Assert.Equal("hi\n", b.Ok("run", "--rm", "mirrored:1", "echo", "hi"));
        b.AssertStoreClean(1);

        // Only docker.io has mirrors: a name of another registry never goes to them.
        b.Run("pull", $"{empty.Host}/library/mirrored:1").AssertExit(1, $"manifest for {empty.Host}/library/mirrored:1 not found: manifest unknown");

        // No mirror has it: Docker Hub itself is the last resort (unreachable here), and nothing is stored.
        using var c = new Installation();
        Configure(c, $"http://{empty.Host}");
        c.Run("pull", "mirrored:1").AssertExit(1, "registry-1.docker.io");
        c.AssertStoreClean(0);
    }

    [Fact]
    public void AMirrorThatIsNotAnHttpUrlIsRefusedNamingTheFile()
    {
        using var i = new Installation();
        Configure(i, "ftp://mirror.example");
        var r = i.Run("pull", "busybox");
        r.AssertExit(1, $"{i.ConfigPath}: invalid mirror");
        Assert.Contains("ftp://mirror.example", r.Stderr);
        Configure(i, "http://mirror.example/v2/");
        i.Run("pull", "busybox").AssertExit(1, "path, query, or fragment at end of the URI \"http://mirror.example/v2/\"");
    }
}
