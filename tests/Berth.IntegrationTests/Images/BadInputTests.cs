using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Berth.Testing;
using static Berth.IntegrationTests.Images.SaveLoadTests;

namespace Berth.IntegrationTests.Images;

/// <summary>Every bad input gets a clear error naming the problem, a non-zero exit, and leaves the store as it was.</summary>
[Collection("images")]
[Trait("Category", "Integration")]
public sealed class BadInputTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private (Testing.Berth Berth, string Before) SeededStore()
    {
        var tar = bases.Require();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "seed:1");
        return (berth, StoreState.Capture(berth));
    }

    private void AssertRefused(Testing.Berth berth, string before, RunResult r, string expected)
    {
        // Docker's CLI exits 1 for every refused load, import, save, rmi and tag (125 is for usage errors).
        r.AssertExit(1, expected);
        Assert.Equal(before, StoreState.Capture(berth));
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>Writes an OCI layout tar; the callbacks may corrupt any part.</summary>
    private string OciArchive(string name, byte[] layer, Func<string, string>? editConfig = null, Func<string, string>? editManifest = null,
        bool dropConfig = false, bool corruptLayer = false, string layerMediaType = "application/vnd.oci.image.layer.v1.tar")
    {
        var diff = "sha256:" + Hex(layer);
        var config = Encoding.UTF8.GetBytes((editConfig ?? (s => s))($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{diff}}}"]}}"""));
        var manifest = Encoding.UTF8.GetBytes((editManifest ?? (s => s))(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{{Hex(config)}}","size":{{config.Length}}},"layers":[{"mediaType":"{{layerMediaType}}","digest":"{{diff}}","size":{{layer.Length}}}]}"""));
        var index = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{Hex(manifest)}}}","size":{{{manifest.Length}}},"annotations":{"io.containerd.image.name":"docker.io/library/bad:1"}}]}""");
        var path = _tmp.Combine(name);
        using var w = new TarWriter(File.Create(path), TarEntryFormat.Pax);
        Add(w, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        var stored = corruptLayer ? layer.Select((b, i) => i == 600 ? (byte)(b ^ 1) : b).ToArray() : layer;
        Add(w, "blobs/sha256/" + diff[7..], stored);
        if (!dropConfig) Add(w, "blobs/sha256/" + Hex(config), config);
        Add(w, "blobs/sha256/" + Hex(manifest), manifest);
        Add(w, "index.json", index);
        return path;
    }

    [Fact]
    public void NotATar()
    {
        var (berth, before) = SeededStore();
        var f = _tmp.Combine("junk.tar");
        File.WriteAllText(f, "this is not a tar file, just some text that goes on for a while\n");
        AssertRefused(berth, before, berth.Run("load", "-i", f), "not a tar");
        AssertRefused(berth, before, berth.Run("import", f, "junk:1"), "not a tar");
    }

    [Fact]
    public void TruncatedGzip()
    {
        var (berth, before) = SeededStore();
        var gz = Gzip(File.ReadAllBytes(bases.Require()));
        var f = _tmp.Combine("cut.tar.gz");
        File.WriteAllBytes(f, gz[..(gz.Length / 2)]);
        var r = berth.Run("import", f, "cut:1");
        AssertRefused(berth, before, r, "import");
        Assert.Matches("(?i)truncated|unexpected end|corrupt", r.Stderr);
        AssertRefused(berth, before, berth.Run("load", "-i", f), "archive");
    }

    [Fact]
    public void LayerDigestMismatchNamesTheLayer()
    {
        var (berth, before) = SeededStore();
        var layer = MakeLayer(("a.txt", new string('a', 2000)));
        var f = OciArchive("mismatch.tar", layer, corruptLayer: true);
        var r = berth.Run("load", "-i", f);
        AssertRefused(berth, before, r, "sha256:" + Hex(layer));
    }

    [Fact]
    public void MissingConfigIsNamed()
    {
        var (berth, before) = SeededStore();
        var layer = MakeLayer(("a.txt", "a"));
        var r = berth.Run("load", "-i", OciArchive("noconfig.tar", layer, dropConfig: true));
        AssertRefused(berth, before, r, "missing");
    }

    [Fact]
    public void UnknownLayerMediaTypeIsNamed()
    {
        var (berth, before) = SeededStore();
        var layer = MakeLayer(("a.txt", "a"));
        var r = berth.Run("load", "-i", OciArchive("mt.tar", layer, layerMediaType: "application/x-mystery"));
        AssertRefused(berth, before, r, "application/x-mystery");
    }

    [Fact]
    public void DiffIdMismatchWithConfigIsRefused()
    {
        var (berth, before) = SeededStore();
        var layer = MakeLayer(("a.txt", "a"));
        var wrong = "sha256:" + new string('0', 64);
        var r = berth.Run("load", "-i", OciArchive("diff.tar", layer, editConfig: c => c.Replace("sha256:" + Hex(layer), wrong)));
        AssertRefused(berth, before, r, wrong);
    }

    [Fact]
    public void MissingFileAndUnknownImageFail()
    {
        var (berth, before) = SeededStore();
        AssertRefused(berth, before, berth.Run("load", "-i", _tmp.Combine("nope.tar")), "nope.tar");
        AssertRefused(berth, before, berth.Run("save", "-o", _tmp.Combine("x.tar"), "nosuch:1"), "No such image: nosuch:1");
        Assert.False(File.Exists(_tmp.Combine("x.tar")));
        AssertRefused(berth, before, berth.Run("rmi", "nosuch:1"), "No such image");
        AssertRefused(berth, before, berth.Run("tag", "seed:1", "UPPER:case"), "invalid reference format");
        var usage = berth.Run("images", "--no-such-flag");
        Assert.Equal(125, usage.ExitCode);
    }

    public void Dispose() => _tmp.Dispose();
}
