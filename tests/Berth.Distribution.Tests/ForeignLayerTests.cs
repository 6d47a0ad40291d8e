using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>Foreign (non-distributable) layers as dockerd handles them: pulled from the URLs of their descriptor,
/// never uploaded by push (the manifest keeps the URLs), and a clear error when no URL answers.</summary>
[Collection("registry")]
public sealed class ForeignLayerTests(BusyboxTar busybox)
{
    /// <summary>Puts under <paramref name="tag"/> a copy of the manifest of <paramref name="source"/> whose layers
    /// are non-distributable, each with <paramref name="urlOf"/> as its only URL.</summary>
    private static void PutForeignManifest(RegistryServer registry, string repo, string source, string tag, Func<string, string> urlOf)
    {
        using var http = new HttpClient();
        var get = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/{repo}/manifests/{source}");
        get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        var manifest = JsonNode.Parse(http.Send(get, TestContext.Current.CancellationToken).Content.ReadAsStringAsync(TestContext.Current.CancellationToken).Result)!;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", (string?)manifest["mediaType"]);
        foreach (var layer in manifest["layers"]!.AsArray())
        {
            Assert.Equal("application/vnd.oci.image.layer.v1.tar", (string?)layer!["mediaType"]);
            layer["mediaType"] = "application/vnd.oci.image.layer.nondistributable.v1.tar";
            layer["urls"] = new JsonArray(urlOf((string)layer["digest"]!));
        }
        var put = http.Send(new HttpRequestMessage(HttpMethod.Put, $"http://{registry.Host}/v2/{repo}/manifests/{tag}")
        {
            Content = new StringContent(manifest.ToJsonString(), null, "application/vnd.oci.image.manifest.v1+json"),
        }, TestContext.Current.CancellationToken);
        Assert.True(put.IsSuccessStatusCode, put + "\n" + put.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).Result + "\n" + manifest.ToJsonString());
    }

    [Fact]
    public void AForeignLayerIsPulledFromItsUrlAndNeverPushed()
    {
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var origin = new RegistryServer();
        using (var a = new Installation())
        {
            a.Ok("import", busybox.Path, $"{origin.Host}/fl/bb:1");
            a.Ok("push", $"{origin.Host}/fl/bb:1");
        }
        // The layer's URL is where the origin serves the blob; the manifest lives in another registry that never
        // had the blob (a registry accepts a manifest whose foreign layers it lacks).
        using var registry = new RegistryServer();
        using (var seed = new Installation())
        {
            seed.Ok("pull", $"{origin.Host}/fl/bb:1");
            seed.Ok("tag", $"{origin.Host}/fl/bb:1", $"{registry.Host}/fl/bb:1");
            seed.Ok("push", $"{registry.Host}/fl/bb:1");
        }
        PutForeignManifest(registry, "fl/bb", "1", "foreign", d => $"http://{origin.Host}/v2/fl/bb/blobs/{d}");
        int down = RegistryServer.FreePort();
        PutForeignManifest(registry, "fl/bb", "1", "gone", d => $"http://127.0.0.1:{down}/layers/{d}");
        string image = $"{registry.Host}/fl/bb:foreign";

        using var b = new Installation();
        b.Ok("pull", image);
        Assert.Equal("hi\n", b.Ok("run", "--rm", image, "echo", "hi"));

        // Push: the layer is skipped, the manifest (with its URLs) accepted; the new registry has no such blob.
        using var other = new RegistryServer();
        string copy = $"{other.Host}/fl/copy:1";
        b.Ok("tag", image, copy);
        var push = b.Ok("push", copy);
        Assert.Contains(": Skipped foreign layer", push);
        Assert.DoesNotContain(": Pushed", push);
        using var c = new Installation();
        c.Ok("pull", copy);
        Assert.Equal("hi\n", c.Ok("run", "--rm", copy, "echo", "hi"));

        // No URL answers: an error naming the layer and each URL, nothing stored.
        using var d = new Installation();
        var r = d.Run("pull", $"{registry.Host}/fl/bb:gone");
        r.AssertExit(1, "foreign layer: none of its URLs could be downloaded");
        Assert.Contains($"http://127.0.0.1:{down}/layers/sha256:", r.Stderr);
        Assert.Contains($"{registry.Host}/fl/bb", r.Stderr);
        d.AssertStoreClean(0);
    }
}
