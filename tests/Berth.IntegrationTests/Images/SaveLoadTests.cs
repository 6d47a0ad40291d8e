using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.IntegrationTests.Images;

[Collection("images")]
[Trait("Category", "Integration")]
public sealed class SaveLoadTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private Testing.Berth NewBerth() => new(_tmp.Combine("root-" + Guid.NewGuid().ToString("N")[..6]));

    private static Dictionary<string, byte[]> ReadTar(string path)
    {
        var files = new Dictionary<string, byte[]>();
        using var reader = new TarReader(File.OpenRead(path));
        while (reader.GetNextEntry() is { } e)
            if (e.DataStream is not null)
            {
                using var ms = new MemoryStream();
                e.DataStream.CopyTo(ms);
                files[e.Name] = ms.ToArray();
            }
        return files;
    }

    [Fact]
    public void SaveWritesBothDockerArchiveAndOciLayoutThatValidate()
    {
        // One tar must satisfy docker load (manifest.json) and OCI tools (oci-layout, index.json), and every
        // document berth writes must validate against the OCI schemas.
        var tar = bases.Require();
        var berth = NewBerth();
        var id = berth.Ok("import", "--change", "CMD [\"/bin/sh\"]", tar, "bb:1").Trim();
        var archive = _tmp.Combine("out.tar");
        berth.Ok("save", "-o", archive, "bb:1");
        // The same image saves to the same bytes (no PIDs or times in headers).
        var again = _tmp.Combine("again.tar");
        berth.Ok("save", "-o", again, "bb:1");
        Assert.Equal(File.ReadAllBytes(archive), File.ReadAllBytes(again));
        var files = ReadTar(archive);
        Assert.Contains("oci-layout", files.Keys);
        Assert.Contains("index.json", files.Keys);
        Assert.Contains("manifest.json", files.Keys);

        var index = Encoding.UTF8.GetString(files["index.json"]);
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/image-index-schema.json", index));
        var indexNode = JsonNode.Parse(index)!;
        var m = indexNode["manifests"]![0]!;
        Assert.Equal("docker.io/library/bb:1", m["annotations"]!["io.containerd.image.name"]!.GetValue<string>());
        Assert.Equal("1", m["annotations"]!["org.opencontainers.image.ref.name"]!.GetValue<string>());
        var manifestPath = "blobs/sha256/" + m["digest"]!.GetValue<string>()[7..];
        var manifest = Encoding.UTF8.GetString(files[manifestPath]);
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/image-manifest-schema.json", manifest));
        var configPath = "blobs/sha256/" + id[7..];
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/config-schema.json", Encoding.UTF8.GetString(files[configPath])));
        // Every blob is named by its digest.
        foreach (var (name, bytes) in files.Where(f => f.Key.StartsWith("blobs/sha256/", StringComparison.Ordinal)))
            Assert.Equal(name[13..], Convert.ToHexStringLower(SHA256.HashData(bytes)));

        var dm = JsonNode.Parse(files["manifest.json"])!.AsArray();
        Assert.Equal(configPath, dm[0]!["Config"]!.GetValue<string>());
        Assert.Equal("bb:1", dm[0]!["RepoTags"]![0]!.GetValue<string>());
        Assert.All(dm[0]!["Layers"]!.AsArray(), l => Assert.Contains(l!.GetValue<string>(), files.Keys));
        Assert.Contains("\"bb\"", Encoding.UTF8.GetString(files["repositories"]));
    }

    [Fact]
    public void SaveThenLoadIntoAnotherStoreGivesTheSameImage()
    {
        var tar = bases.Require();
        var a = NewBerth();
        var b = NewBerth();
        var id = a.Ok("import", "--change", "ENV X=1", tar, "me/app:v2").Trim();
        var archive = _tmp.Combine("app.tar");
        a.Ok("save", "-o", archive, "me/app:v2");
        var loaded = b.Ok("load", "-i", archive);
        Assert.Equal("Loaded image: me/app:v2", loaded.Trim());
        Assert.Equal(id, b.Ok("image", "inspect", "--format", "{{.Id}}", "me/app:v2").Trim());
        Assert.Equal(a.Ok("image", "inspect", "--format", "{{json .RootFS}}", "me/app:v2"), b.Ok("image", "inspect", "--format", "{{json .RootFS}}", "me/app:v2"));
        Assert.Equal(0, b.Run("system", "check").ExitCode);

        // From stdin, and saved by ID: untagged.
        var c = NewBerth();
        var byId = _tmp.Combine("byid.tar");
        a.Ok("save", "-o", byId, id[7..19]);
        var r = c.RunWithStdin(byId, "load");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"Loaded image ID: {id}", r.Stdout.Trim());
    }

    [Fact]
    public void LoadsALegacyDockerArchiveWithGzipAndZstdLayers()
    {
        // dockerd 20.10 writes <id>/layer.tar, <config>.json and manifest.json; layers may be compressed.
        var tar = bases.Require();
        var layerBytes = File.ReadAllBytes(tar);
        var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(layerBytes));
        var extra = MakeLayer(("hello.txt", "hello world\n"));
        var extraDiff = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(extra));
        var third = MakeLayer(("zstd.txt", "compressed with zstd\n"));
        var thirdDiff = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(third));
        var config = $$$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["{{{diffId}}}","{{{extraDiff}}}","{{{thirdDiff}}}"]}}""";
        var configHex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config)));
        var archive = _tmp.Combine("legacy.tar");
        using (var w = new TarWriter(File.Create(archive), TarEntryFormat.Ustar))
        {
            Add(w, "aaaa/VERSION", "1.0"u8.ToArray());
            Add(w, "aaaa/layer.tar", Gzip(layerBytes));
            Add(w, "bbbb/layer.tar", extra);
            Add(w, "cccc/layer.tar", Zstd(third));
            Add(w, configHex + ".json", Encoding.UTF8.GetBytes(config));
            Add(w, "manifest.json", Encoding.UTF8.GetBytes($$"""[{"Config":"{{configHex}}.json","RepoTags":["legacy:1"],"Layers":["aaaa/layer.tar","bbbb/layer.tar","cccc/layer.tar"]}]"""));
            Add(w, "repositories", """{"legacy":{"1":"bbbb"}}"""u8.ToArray());
        }
        var berth = NewBerth();
        Assert.Equal("Loaded image: legacy:1", berth.Ok("load", "-i", archive).Trim());
        Assert.Equal("sha256:" + configHex, berth.Ok("image", "inspect", "--format", "{{.Id}}", "legacy:1").Trim());
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
        var layers = SavedImage.Listing(SavedImage.Of(berth, "legacy:1").Tree);
        Assert.Contains("hello.txt: file", layers);
        Assert.Contains("zstd.txt: file", layers);
        Assert.Contains("bin/busybox: file", layers);
        // Re-saved, the layers keep their bytes (the gzip blob stays gzip) and the result loads again.
        var again = _tmp.Combine("again.tar");
        berth.Ok("save", "-o", again, "legacy:1");
        var other = NewBerth();
        Assert.Equal("Loaded image: legacy:1", other.Ok("load", "-i", again).Trim());
    }

    internal static byte[] MakeLayer(params (string Name, string Content)[] files)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files) Add(w, name, Encoding.UTF8.GetBytes(content));
        return ms.ToArray();
    }

    internal static void Add(TarWriter w, string name, byte[] data) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0x1a4, ModificationTime = DateTimeOffset.UnixEpoch });

    internal static byte[] Zstd(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = Berth.Archive.Compressions.Compress(ms, Berth.Archive.Compression.Zstd, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public void Dispose() => _tmp.Dispose();
}
