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

    [Fact]
    public void LongPathLayerIsRefusedByLoadAndImportAndLeavesNothing()
    {
        // Issue 14, defect 3: a 4,999-byte path used to fail with "internal error: AggregateException" and leave a
        // snapshots/new-* tree deeper than PATH_MAX that made rmi, prune and even system check --repair fail.
        var (berth, before) = SeededStore();
        string component = new('d', 99);
        var longName = string.Join('/', Enumerable.Repeat(component, 50))[..4999];
        byte[] layer;
        using (var ms = new MemoryStream())
        {
            using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            {
                Add(w, "ok", "fine"u8.ToArray());
                // Its directories first, as docker save writes them: each is created before the limit is reached.
                for (int n = 1; n < 50; n++)
                    w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, string.Join('/', Enumerable.Repeat(component, n)) + "/") { Mode = (UnixFileMode)0x1ed });
                Add(w, longName, "x"u8.ToArray());
            }
            layer = ms.ToArray();
        }
        var hex = Hex(layer);
        string deepDir = string.Join('/', Enumerable.Repeat(component, 41)) + "/";
        string Shown(string name) => $"{name[..80]}…{name[^40..]} ({name.Length} bytes)";
        var entryError = $"layer entry \"{Shown(deepDir)}\": file name too long ({deepDir.Length - 1} bytes, at most 4095)";

        var archive = OciArchive("long.tar", layer);
        var load = berth.Run("load", "-i", archive);
        Assert.Equal(1, load.ExitCode);
        Assert.Equal($"Error: archive: layer blobs/sha256/{hex}: {entryError}\n", load.Stderr);
        Assert.Equal(before, StoreState.Capture(berth));
        Assert.Equal(0, berth.Run("system", "check").ExitCode);

        var layerFile = _tmp.Combine("long-layer.tar");
        File.WriteAllBytes(layerFile, layer);
        var import = berth.Run("import", layerFile, "long:1");
        Assert.Equal(1, import.ExitCode);
        Assert.Equal($"Error: import {layerFile} (layer sha256:{hex}): {entryError}\n", import.Stderr);
        AssertRefused(berth, before, import, "file name too long");
        Assert.DoesNotContain("DEBRIS", berth.Ok("system", "check"));
    }

    /// <summary>Leftovers of any name and shape, as a crash, a bug or a careless hand might leave them.</summary>
    private static void MakeDebris(string root, string outside)
    {
        var snapshots = Path.Combine(root, "snapshots");
        var blobs = Path.Combine(root, "blobs");
        // A tree deeper than PATH_MAX, built by stepping into each level through a symlink near the top.
        var dir = new DirectoryInfo(Path.Combine(snapshots, "new-0123"));
        for (int i = 0; i < 25; i++)
        {
            dir = dir.CreateSubdirectory(new string('d', 200));
            if (i % 8 != 7) continue;
            var hop = Path.Combine(snapshots, $"hop{i}");
            File.CreateSymbolicLink(hop, dir.FullName);
            dir = new DirectoryInfo(hop);
        }
        File.WriteAllText(Path.Combine(dir.FullName, "leaf"), "x");
        File.WriteAllText(Path.Combine(snapshots, "odd\nname with spaces"), "x");
        File.WriteAllText(Path.Combine(snapshots, new string('a', 64)), "a file named like a snapshot");
        File.CreateSymbolicLink(Path.Combine(snapshots, new string('b', 64)), outside);
        File.CreateSymbolicLink(Path.Combine(snapshots, "del-link"), outside);
        Directory.CreateDirectory(Path.Combine(snapshots, "-rf"));
        var raw = Run.Tool("/bin/sh", ["-c", "mkdir \"$1/$(printf 'bad\\377name')\" && mkdir \"$2/$(printf '\\001ctl')\"", "sh", snapshots, Path.Combine(blobs, "sha256")]);
        Assert.True(raw.ExitCode == 0, raw.ToString());
        File.WriteAllText(Path.Combine(blobs, "sha256", "not-a-digest"), "x");
        Directory.CreateDirectory(Path.Combine(blobs, "sha256", new string('c', 64), "sub"));
        File.CreateSymbolicLink(Path.Combine(blobs, "sha256", new string('e', 64)), Path.Combine(outside, "keep"));
        File.WriteAllText(Path.Combine(blobs, "stray-file"), "x");
        Directory.CreateDirectory(Path.Combine(blobs, "md5", "x"));
        // What a `run -d` killed before it recorded its container leaves, and an `rm` killed halfway.
        foreach (var sub in new[] { "upper", "work", "rootfs" }) Directory.CreateDirectory(Path.Combine(root, "containers", new string('f', 64), sub));
        Directory.CreateDirectory(Path.Combine(root, "containers", ".del-" + new string('f', 64), "upper"));
        File.WriteAllText(Path.Combine(root, "containers", "stray"), "x");
        Directory.CreateDirectory(Path.Combine(root, "builds", "berth-build-0123456789abcdef", "rootfs"));
        Directory.CreateDirectory(Path.Combine(root, "ingest", "ingest-dir", "inner"));
        File.WriteAllText(Path.Combine(root, "ingest", "ingest-dir", "inner", "f"), "x");
    }

    [Theory]
    [InlineData("rmi victim:1")]
    [InlineData("image prune -f")]
    [InlineData("system prune -f")]
    [InlineData("builder prune -f")]
    [InlineData("system check --repair")]
    public void DebrisOfAnyNameIsReportedAndRemoved(string command)
    {
        // Whatever lies where no record points is debris: system check names it, and every command that collects
        // garbage removes it without tripping over it, and without following a symlink out of the store.
        var (berth, _) = SeededStore();
        berth.Ok("import", "--change", "ENV V=1", bases.Require(), "victim:1");
        var keeper = berth.Ok("create", "--name", "keeper", "seed:1", "true").Trim();
        var outside = _tmp.Sub("outside");
        File.WriteAllText(Path.Combine(outside, "keep"), "precious");
        MakeDebris(berth.Root, outside);

        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        foreach (var expected in new[]
                 {
                     "snapshots/new-0123: unfinished snapshot", "snapshots/odd\\x0aname with spaces: not a snapshot",
                     $"snapshots/{new string('a', 64)}: not a snapshot", $"snapshots/{new string('b', 64)}: not a snapshot",
                     "snapshots/bad\\xffname: not a snapshot", "snapshots/-rf: not a snapshot", "snapshots/hop7: not a snapshot",
                     "blobs/sha256/not-a-digest: not a blob", $"blobs/sha256/{new string('c', 64)}: not a blob",
                     $"blobs/sha256/{new string('e', 64)}: not a blob", "blobs/sha256/\\x01ctl: not a blob",
                     "blobs/stray-file: not a blob directory", "blobs/md5: not a blob directory", "ingest/ingest-dir: unfinished ingest",
                     $"containers/{new string('f', 64)}: container directory without a container",
                     $"containers/.del-{new string('f', 64)}: container directory without a container",
                     "containers/stray: container directory without a container",
                     "builds/berth-build-0123456789abcdef: bundle of an interrupted build step",
                 })
            Assert.Contains($"DEBRIS {berth.Root}/{expected}\n", check.Stdout);

        var r = berth.Run(command.Split(' '));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("internal error", r.Stderr);
        var after = berth.Run("system", "check");
        Assert.True(after.ExitCode == 0 && !after.Stdout.Contains("DEBRIS", StringComparison.Ordinal), after.ToString());
        Assert.Equal(["sha256"], Directory.GetFileSystemEntries(Path.Combine(berth.Root, "blobs")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "ingest")));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(outside, "keep")));
        Assert.Contains("seed:1", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        berth.Ok("save", "-o", _tmp.Combine("seed.tar"), "seed:1");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "builds")));
        // A container with a row is no debris (system prune removes it as a stopped container, as docker does).
        var containers = Directory.GetFileSystemEntries(Path.Combine(berth.Root, "containers")).Select(Path.GetFileName);
        Assert.Equal(command == "system prune -f" ? [] : [keeper], containers);
    }

    public void Dispose() => _tmp.Dispose();
}
