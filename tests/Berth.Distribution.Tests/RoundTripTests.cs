using System.Text.Json;
using Berth.Testing;

namespace Berth.Distribution.Tests;

[CollectionDefinition("registry")]
public sealed class RegistryCollection : ICollectionFixture<BusyboxTar>;

/// <summary>Images moving between berth, docker and skopeo through a real registry (docker-registry on
/// loopback, plain HTTP as docker allows for 127.0.0.0/8).</summary>
[Collection("registry")]
public sealed class RoundTripTests(BusyboxTar busybox)
{
    private static void RequireDocker()
    {
        HostCapabilities.RequireTool("docker");
        HostCapabilities.Require(Run.Tool("docker", ["version", "--format", "{{.Server.Version}}"], timeout: TimeSpan.FromSeconds(20)).ExitCode == 0, "needs a running dockerd");
    }

    private Installation WithBusybox(string tag)
    {
        var i = new Installation();
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        i.Ok("import", busybox.Path, tag);
        return i;
    }

    [Fact]
    public void BerthPushThenBerthPullGivesTheSameImageAndRepoDigest()
    {
        // What berth pushes must come back byte for byte: same image ID, and the digest push printed is the RepoDigest.
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/berth/bb:1";
        using var a = WithBusybox(image);
        var push = a.Ok("push", image);
        Assert.Contains($"The push refers to repository [{registry.Host}/berth/bb]", push);
        Assert.Contains(": Pushed", push);
        string digest = push.Split('\n').Single(l => l.StartsWith("1: digest: ", StringComparison.Ordinal)).Split(' ')[2];
        Assert.Contains(": Layer already exists", a.Ok("push", image));
        Assert.Equal($"{image}\n", a.Ok("push", "-q", image));
        string id = a.Ok("image", "inspect", "--format", "{{.Id}}", image).Trim();

        using var b = new Installation();
        var pull = b.Ok("pull", image);
        Assert.Contains($"Digest: {digest}", pull);
        Assert.Contains($"Status: Downloaded newer image for {image}", pull);
        Assert.EndsWith($"\n{image}\n", pull);
        Assert.Equal(id, b.Ok("image", "inspect", "--format", "{{.Id}}", image).Trim());
        Assert.Equal($"[\"{registry.Host}/berth/bb@{digest}\"]", b.Ok("image", "inspect", "--format", "{{json .RepoDigests}}", image).Trim());
        Assert.Contains(digest, b.Ok("images", "--digests", "--format", "{{.Digest}}"));
        Assert.Equal($"{image}\n", b.Ok("pull", "-q", image));
        Assert.Contains($"Status: Image is up to date for {image}", b.Ok("pull", image));
        Assert.Equal("hi\n", b.Ok("run", "--rm", image, "echo", "hi"));
        b.AssertStoreClean(1);

        // By digest: no tag is made, the RepoDigest is.
        using var c = new Installation();
        c.Ok("pull", $"{registry.Host}/berth/bb@{digest}");
        Assert.Equal("", c.Ok("images", "--format", "{{.Tag}}").Replace("<none>", "").Trim());
        Assert.Equal(id, c.Ok("image", "inspect", "--format", "{{.Id}}", $"{registry.Host}/berth/bb@{digest}").Trim());
        Assert.Equal("hi\n", c.Ok("run", "--rm", $"{registry.Host}/berth/bb@{digest}", "echo", "hi"));
    }

    [Fact]
    public void RunAndCreatePullAMissingImageAsTheirPullPolicySays()
    {
        // `run IMAGE` on a fresh machine pulls it (docker's --pull missing); never and always do what they say.
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/run/bb:1";
        using (var a = WithBusybox(image)) a.Ok("push", image);
        using var b = new Installation();
        b.Run("run", "--rm", "--pull", "never", image, "true").AssertExit(125, $"No such image: {image}");
        b.Run("run", "--rm", "--pull", "sometimes", image, "true").AssertExit(125, "invalid pull option: 'sometimes'");
        var run = b.Run("run", "--rm", image, "echo", "pulled");
        run.AssertExit(0, $"Unable to find image '{image}' locally");
        Assert.Equal("pulled\n", run.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {image}", run.Stderr);
        var again = b.Run("run", "--rm", "--pull", "always", image, "echo", "again");
        again.AssertExit(0, $"Status: Image is up to date for {image}");
        Assert.DoesNotContain("Unable to find image", again.Stderr);
        b.Run("create", $"{registry.Host}/run/missing:1").AssertExit(125, $"manifest for {registry.Host}/run/missing:1 not found: manifest unknown: ");
        b.AssertStoreClean(1);
    }

    [Fact]
    public void BuildPullsItsBaseAndCopyFromImages()
    {
        // FROM and COPY --from name images a fresh machine does not have: build pulls them, as docker's does.
        using var registry = new RegistryServer();
        string base1 = $"{registry.Host}/build/base:1", other = $"{registry.Host}/build/other:1";
        using (var a = WithBusybox(base1))
        {
            a.Ok("tag", base1, other);
            a.Ok("push", base1);
            a.Ok("push", other);
        }
        using var b = new Installation();
        var context = b.Dir.Sub("ctx");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {base1}\nCOPY --from={other} /bin/busybox /copied\n");
        b.Ok("build", "-q", "-t", "built:1", context);
        Assert.Equal("yes\n", b.Ok("run", "--rm", "built:1", "sh", "-c", "test -x /copied && echo yes"));
        Assert.Contains(base1, b.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        b.Ok("build", "-q", "--pull", "-t", "built:2", context);
        b.AssertStoreClean(2); // base and other are one image, built:1 and built:2 another
    }

    [Fact]
    public void DockerPullsAndRunsWhatBerthPushed()
    {
        // berth build/import → berth push → docker pull → docker run: the point of shipping.
        RequireDocker();
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/ship/bb:v1";
        using var a = WithBusybox(image);
        a.Ok("push", image);
        try
        {
            var pull = Run.Tool("docker", ["pull", image], timeout: TimeSpan.FromMinutes(2));
            Assert.True(pull.ExitCode == 0, pull.ToString());
            var run = Run.Tool("docker", ["run", "--rm", image, "echo", "from-docker"], timeout: TimeSpan.FromMinutes(2));
            Assert.Equal("from-docker\n", run.Stdout);
        }
        finally
        {
            Run.Tool("docker", ["rmi", "-f", image]);
        }
    }

    [Fact]
    public void BerthPullsAndRunsWhatDockerPushed()
    {
        // docker push → berth pull → berth run, with the RepoDigest docker reports.
        RequireDocker();
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static");
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/from/docker:2";
        try
        {
            Assert.Equal(0, Run.Tool("docker", ["import", busybox.Path, image]).ExitCode);
            var push = Run.Tool("docker", ["push", image], timeout: TimeSpan.FromMinutes(2));
            Assert.True(push.ExitCode == 0, push.ToString());
            var repoDigest = Run.Tool("docker", ["image", "inspect", "--format", "{{index .RepoDigests 0}}", image]).Stdout.Trim();
            using var b = new Installation();
            b.Ok("pull", image);
            Assert.Equal(repoDigest, b.Ok("image", "inspect", "--format", "{{index .RepoDigests 0}}", image).Trim());
            Assert.Equal("ok\n", b.Ok("run", "--rm", image, "echo", "ok"));
            // And back: berth pushes it again under another name, mounting the layer from the first repository.
            b.Ok("tag", image, $"{registry.Host}/again/docker:2");
            Assert.Contains("Mounted from from/docker", b.Ok("push", $"{registry.Host}/again/docker:2"));
        }
        finally
        {
            Run.Tool("docker", ["rmi", "-f", image]);
        }
    }

    [Fact]
    public void SkopeoCopiesBothWays()
    {
        // skopeo reads what berth pushed, and berth pulls what skopeo wrote (an OCI manifest with a zstd layer).
        HostCapabilities.RequireTool("skopeo");
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/sk/bb:1";
        using var a = WithBusybox(image);
        a.Ok("push", image);
        var toDir = Run.Tool("skopeo", ["copy", "--src-tls-verify=false", $"docker://{image}", $"oci:{a.Dir.Combine("oci")}:x"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(toDir.ExitCode == 0, toDir.ToString());
        var back = Run.Tool("skopeo", ["copy", "--dest-tls-verify=false", "--dest-compress-format", "zstd", "--format", "oci",
            $"oci:{a.Dir.Combine("oci")}:x", $"docker://{registry.Host}/sk/zstd:1"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(back.ExitCode == 0, back.ToString());
        using var b = new Installation();
        b.Ok("pull", $"{registry.Host}/sk/zstd:1");
        Assert.Equal("zstd\n", b.Ok("run", "--rm", $"{registry.Host}/sk/zstd:1", "echo", "zstd"));
        b.AssertStoreClean(1);
    }

    [Fact]
    public void AnIndexIsResolvedToTheHostPlatform()
    {
        // Most images are multi-platform indexes: pull picks linux/amd64, --platform another, and the RepoDigest is
        // the index's (what the tag names), as docker records it.
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/multi/bb:1";
        using var a = WithBusybox(image);
        a.Ok("push", image);
        var manifest = a.Ok("manifest", "inspect", image);
        var m = JsonDocument.Parse(manifest).RootElement;
        string manifestDigest = a.Ok("image", "inspect", "--format", "{{json .RepoDigests}}", image).Split('@')[1].TrimEnd('"', ']', '\n');
        string mediaType = m.GetProperty("mediaType").GetString()!;
        long size = ManifestSize(registry, "multi/bb", manifestDigest);
        System.Text.Json.Nodes.JsonObject Entry(string arch, string? variant)
        {
            var platform = new System.Text.Json.Nodes.JsonObject { ["architecture"] = arch, ["os"] = "linux" };
            if (variant is not null) platform["variant"] = variant;
            return new() { ["mediaType"] = mediaType, ["digest"] = manifestDigest, ["size"] = size, ["platform"] = platform };
        }
        string index = new System.Text.Json.Nodes.JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new System.Text.Json.Nodes.JsonArray(Entry("arm64", "v8"), Entry("amd64", null)),
        }.ToJsonString();
        using var http = new HttpClient();
        var put = http.Send(new HttpRequestMessage(HttpMethod.Put, $"http://{registry.Host}/v2/multi/bb/manifests/idx")
        {
            Content = new StringContent(index, null, "application/vnd.oci.image.index.v1+json"),
        }, TestContext.Current.CancellationToken);
        Assert.True(put.IsSuccessStatusCode, put.ToString());
        string indexDigest = put.Headers.GetValues("Docker-Content-Digest").Single();

        using var b = new Installation();
        Assert.Contains($"Digest: {indexDigest}", b.Ok("pull", $"{registry.Host}/multi/bb:idx"));
        Assert.Contains($"@{indexDigest}", b.Ok("image", "inspect", "--format", "{{json .RepoDigests}}", $"{registry.Host}/multi/bb:idx"));
        b.Run("pull", "--platform", "linux/s390x", $"{registry.Host}/multi/bb:idx").AssertExit(1, "no matching manifest for linux/s390x");
        b.Run("pull", "--platform", "linux/arm64", $"{registry.Host}/multi/bb:idx").AssertExit(1, "image is linux/amd64, not the requested linux/arm64");
        b.AssertStoreClean(1);
    }

    private static long ManifestSize(RegistryServer registry, string repo, string digest)
    {
        using var http = new HttpClient();
        var req = new HttpRequestMessage(HttpMethod.Head, $"http://{registry.Host}/v2/{repo}/manifests/{digest}");
        req.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        req.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        var r = http.Send(req, TestContext.Current.CancellationToken);
        return r.Content.Headers.ContentLength!.Value;
    }
}
