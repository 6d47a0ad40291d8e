using System.IO.Compression;
using System.Text.Json;
using Berth.Testing;

namespace Berth.IntegrationTests.Images;

[Collection("images")]
[Trait("Category", "Integration")]
public sealed class ImportTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private Testing.Berth NewBerth() => new(_tmp.Combine("root-" + Guid.NewGuid().ToString("N")[..6]));

    [Fact]
    public void ImportedRootfsIsListedAndInspectable()
    {
        // The main job of the foundation: a rootfs tar becomes a tagged one-layer image with the config asked for.
        var tar = bases.Require();
        var berth = NewBerth();
        var id = berth.Ok("import", "--change", "CMD [\"/bin/sh\",\"-c\",\"echo hi\"]", "--change", "ENV A=1 B=two", "--change", "WORKDIR /srv",
            "--change", "USER app", "--change", "LABEL org.example=yes", "--change", "EXPOSE 8080", "--change", "ENTRYPOINT [\"/bin/env\"]",
            tar, "busybox:latest").Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);

        var images = berth.Ok("images");
        Assert.Contains("REPOSITORY", images);
        Assert.Matches(@"busybox\s+latest\s+" + id[7..19], images);

        using var doc = JsonDocument.Parse(berth.Ok("image", "inspect", "busybox"));
        var img = doc.RootElement[0];
        Assert.Equal(id, img.GetProperty("Id").GetString());
        var config = img.GetProperty("Config");
        Assert.Equal(["/bin/sh", "-c", "echo hi"], config.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["/bin/env"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["A=1", "B=two"], config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/srv", config.GetProperty("WorkingDir").GetString());
        Assert.Equal("app", config.GetProperty("User").GetString());
        Assert.Equal("yes", config.GetProperty("Labels").GetProperty("org.example").GetString());
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        Assert.Equal("amd64", img.GetProperty("Architecture").GetString());
        Assert.Single(img.GetProperty("RootFS").GetProperty("Layers").EnumerateArray());
        Assert.Equal("/srv", berth.Ok("inspect", "--format", "{{.Config.WorkingDir}}", "busybox").Trim());
    }

    [Fact]
    public void GzipAndZstdInputsGiveTheSameLayer()
    {
        // The diff ID is the digest of the uncompressed tar, whatever compression the input used.
        var tar = bases.Require();
        var berth = NewBerth();
        var gz = _tmp.Combine("bb.tar.gz");
        using (var src = File.OpenRead(tar))
        using (var dst = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            src.CopyTo(dst);
        var zst = _tmp.Combine("bb.tar.zst");
        HostCapabilities.RequireTool("zstd");
        Assert.Equal(0, Run.Tool("zstd", ["-q", "-f", tar, "-o", zst]).ExitCode);
        berth.Ok("import", tar, "plain:1");
        berth.Ok("import", gz, "gz:1");
        berth.Ok("import", zst, "zst:1");
        string Layer(string n) => berth.Ok("image", "inspect", "--format", "{{json .RootFS.Layers}}", n).Trim();
        Assert.Equal(Layer("plain:1"), Layer("gz:1"));
        Assert.Equal(Layer("plain:1"), Layer("zst:1"));
        // Three images, one layer: the snapshot is stored once.
        Assert.Single(Directory.GetDirectories(Path.Combine(berth.Root, "snapshots")));
    }

    [Fact]
    public void ImportFromStdinWorks()
    {
        var tar = bases.Require();
        var berth = NewBerth();
        var r = berth.RunWithStdin(tar, "import", "-", "fromstdin:v1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Imported from -", berth.Ok("history", "--no-trunc", "fromstdin:v1"));
    }

    [Theory]
    [InlineData("CMD")]
    [InlineData("FROM busybox")]
    [InlineData("CMD [\"unterminated\"")]
    public void BadChangeIsRefusedAndNothingIsStored(string change)
    {
        var tar = bases.Require();
        var berth = NewBerth();
        berth.Ok("images");
        var before = StoreState.Capture(berth);
        var r = berth.Run("import", "--change", change, tar, "bad:1");
        r.AssertExit(1, $"--change \"{change}\"");
        Assert.Equal(before, StoreState.Capture(berth));
    }

    public void Dispose() => _tmp.Dispose();
}
