using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>A multi-platform index pulled for the host's platform is kept: pushing the same name sends the index
/// back whole (every platform the registry has or the store holds), not the one platform's manifest.</summary>
[Collection("registry")]
public sealed class KeptIndexTests(BusyboxTar busybox)
{
    [Fact]
    public void AnImagePulledThroughAnIndexIsPushedBackAsTheWholeIndex()
    {
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var registry = new RegistryServer();
        string repo = $"{registry.Host}/multi/app";
        using (var a = new Installation())
        {
            a.Ok("import", busybox.Path, $"{repo}:amd64");
            // The other platform: another image (berth makes linux/amd64 ones only; the index is what says arm64).
            a.Ok("import", "--change", "LABEL arch=arm64", busybox.Path, $"{repo}:arm64");
            a.Ok("push", $"{repo}:amd64");
            a.Ok("push", $"{repo}:arm64");
        }
        using var http = new HttpClient();
        JsonObject Entry(string tag, string arch)
        {
            var req = new HttpRequestMessage(HttpMethod.Head, $"http://{registry.Host}/v2/multi/app/manifests/{tag}");
            req.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            var r = http.Send(req, TestContext.Current.CancellationToken);
            return new()
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = r.Headers.GetValues("Docker-Content-Digest").Single(),
                ["size"] = r.Content.Headers.ContentLength!.Value,
                ["platform"] = new JsonObject { ["architecture"] = arch, ["os"] = "linux" },
            };
        }
        var entries = new JsonArray(Entry("arm64", "arm64"), Entry("amd64", "amd64"));
        string index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["manifests"] = entries }.ToJsonString();
        var put = http.Send(new HttpRequestMessage(HttpMethod.Put, $"http://{registry.Host}/v2/multi/app/manifests/1")
        {
            Content = new StringContent(index, null, "application/vnd.oci.image.index.v1+json"),
        }, TestContext.Current.CancellationToken);
        Assert.True(put.IsSuccessStatusCode, put.ToString());
        string indexDigest = put.Headers.GetValues("Docker-Content-Digest").Single();

        using var b = new Installation();
        b.Ok("pull", $"{repo}:1");
        Assert.Equal("amd64\n", b.Ok("image", "inspect", "--format", "{{.Architecture}}", $"{repo}:1"));
        // The tag is pushed again (say after the registry lost it): the index goes back, byte for byte.
        var delete = http.Send(new HttpRequestMessage(HttpMethod.Delete, $"http://{registry.Host}/v2/multi/app/manifests/{indexDigest}"), TestContext.Current.CancellationToken);
        Assert.True(delete.IsSuccessStatusCode, delete.ToString());
        var push = b.Ok("push", $"{repo}:1");
        Assert.Contains($"1: digest: {indexDigest} size: {index.Length}", push);
        var inspect = JsonDocument.Parse(b.Ok("manifest", "inspect", $"{repo}:1")).RootElement;
        Assert.Equal("application/vnd.oci.image.index.v1+json", inspect.GetProperty("mediaType").GetString());
        Assert.Equal(["arm64", "amd64"], inspect.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()));

        // Another name is the one platform's image, as docker pushes it.
        b.Ok("tag", $"{repo}:1", $"{repo}-single:1");
        b.Ok("push", $"{repo}-single:1");
        var single = JsonDocument.Parse(b.Ok("manifest", "inspect", $"{repo}-single:1")).RootElement;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", single.GetProperty("mediaType").GetString());
        // save keeps the index too, with the platforms this store holds (here amd64 only: arm64 was never pulled).
        string archive = Path.Combine(Path.GetTempPath(), $"berth-kept-{Guid.NewGuid():N}.tar");
        try
        {
            b.Ok("save", "-o", archive, $"{repo}:1");
            var files = new Dictionary<string, byte[]>();
            using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(archive)))
                while (reader.GetNextEntry() is { } e)
                    if (e.DataStream is { } data) { using var ms = new MemoryStream(); data.CopyTo(ms); files[e.Name] = ms.ToArray(); }
            var top = JsonDocument.Parse(files["index.json"]).RootElement.GetProperty("manifests").EnumerateArray().Single();
            Assert.Equal("application/vnd.oci.image.index.v1+json", top.GetProperty("mediaType").GetString());
            Assert.Equal($"{repo}:1", top.GetProperty("annotations").GetProperty("io.containerd.image.name").GetString());
            var saved = JsonDocument.Parse(files[$"blobs/sha256/{top.GetProperty("digest").GetString()!["sha256:".Length..]}"]).RootElement;
            var platforms = saved.GetProperty("manifests").EnumerateArray().ToList();
            Assert.Equal(entries[1]!["digest"]!.GetValue<string>(), Assert.Single(platforms).GetProperty("digest").GetString());
            // What was saved loads back as the same image under the same name, elsewhere.
            using var c = new Installation();
            c.Ok("load", "-i", archive);
            Assert.Equal(b.Ok("image", "inspect", "--format", "{{.Id}}", $"{repo}:1"), c.Ok("image", "inspect", "--format", "{{.Id}}", $"{repo}:1"));
        }
        finally
        {
            File.Delete(archive);
        }
        b.AssertStoreClean(1);
    }
}
