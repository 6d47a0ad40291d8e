using System.Text.Json;
using Berth.Testing;

namespace Berth.IntegrationTests.Images;

/// <summary>Images move between berth and the real peers: dockerd 20.10, skopeo, umoci.</summary>
[Collection("images")]
[Trait("Category", "Integration")]
public sealed class PeerInteropTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private readonly string _tag = "berth-interop-" + Guid.NewGuid().ToString("N")[..8];

    private static void RequireDocker()
    {
        HostCapabilities.RequireTool("docker");
        var info = Run.Tool("docker", ["info", "--format", "{{.ServerVersion}}"]);
        HostCapabilities.Require(info.ExitCode == 0, "needs a running dockerd (`make services` starts one)");
    }

    private static RunResult Docker(params string[] args) => Run.Tool("docker", args, timeout: TimeSpan.FromMinutes(2));

    [Fact]
    public void BerthSaveLoadsAndRunsInDocker()
    {
        var tar = bases.Require();
        RequireDocker();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", "--change", "CMD [\"/bin/sh\",\"-c\",\"echo hello from berth; cat /etc/hostname >/dev/null\"]", tar, $"{_tag}:1");
        var archive = _tmp.Combine("save.tar");
        berth.Ok("save", "-o", archive, $"{_tag}:1");
        try
        {
            var load = Docker("load", "-i", archive);
            Assert.True(load.ExitCode == 0, load.ToString());
            Assert.Contains($"{_tag}:1", load.Stdout);
            var run = Docker("run", "--rm", "--network", "none", $"{_tag}:1");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("hello from berth", run.Stdout.Trim());
            // Same image ID on both sides: the config bytes travelled untouched.
            Assert.Equal(berth.Ok("image", "inspect", "--format", "{{.Id}}", $"{_tag}:1").Trim(),
                Docker("image", "inspect", "--format", "{{.Id}}", $"{_tag}:1").Stdout.Trim());
        }
        finally
        {
            Docker("rmi", "-f", $"{_tag}:1");
        }
    }

    [Fact]
    public void DockerSaveLoadsIntoBerthWithTheSameLayersConfigAndFiles()
    {
        var tar = bases.Require();
        RequireDocker();
        // An image made by dockerd itself, with two layers (import + a commit that adds, changes and deletes).
        Assert.Equal(0, Run.Tool("docker", ["import", "--change", "CMD [\"/bin/sh\"]", tar, $"{_tag}:base"]).ExitCode);
        var ctr = _tag + "-c";
        try
        {
            var r = Docker("run", "--name", ctr, "--network", "none", $"{_tag}:base", "/bin/sh", "-c",
                "echo changed > /etc/motd && mkdir -p /data/sub && echo x > /data/sub/f && ln -s /data/sub/f /data/link && rm -rf /usr/sbin && chmod 0700 /data");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(0, Docker("commit", "--change", "ENV FROM_DOCKER=1", ctr, $"{_tag}:two").ExitCode);
            var archive = _tmp.Combine("docker-save.tar");
            Assert.Equal(0, Docker("save", "-o", archive, $"{_tag}:two").ExitCode);

            var berth = new Testing.Berth(_tmp.Combine("root"));
            Assert.Equal($"Loaded image: {_tag}:two", berth.Ok("load", "-i", archive).Trim());
            Assert.Equal(Docker("image", "inspect", "--format", "{{.Id}}", $"{_tag}:two").Stdout.Trim(),
                berth.Ok("image", "inspect", "--format", "{{.Id}}", $"{_tag}:two").Trim());
            Assert.Equal(Docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", $"{_tag}:two").Stdout.Trim(),
                berth.Ok("image", "inspect", "--format", "{{json .RootFS.Layers}}", $"{_tag}:two").Trim());
            Assert.Contains("FROM_DOCKER=1", berth.Ok("image", "inspect", "--format", "{{json .Config.Env}}", $"{_tag}:two"));

            // The file tree: docker export of a container vs berth's layers merged.
            var exported = _tmp.Combine("export.tar");
            Assert.Equal(0, Docker("export", "-o", exported, ctr).ExitCode);
            string[] ignore = [".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "dev", "proc", "sys", "etc/mtab"];
            var expected = SavedImage.Listing(SavedImage.TreeOfTar(exported), ignore);
            var actual = SavedImage.Listing(SavedImage.Of(berth, $"{_tag}:two").Tree, ignore);
            Assert.Equal(expected, actual);
            Assert.Equal(0, berth.Run("system", "check").ExitCode);
        }
        finally
        {
            Docker("rm", "-f", ctr);
            Docker("rmi", "-f", $"{_tag}:two", $"{_tag}:base");
        }
    }

    [Fact]
    public void SkopeoAndUmociReadBerthSaves()
    {
        var tar = bases.Require();
        HostCapabilities.RequireTool("skopeo");
        HostCapabilities.RequireTool("umoci");
        var berth = new Testing.Berth(_tmp.Combine("root"));
        var id = berth.Ok("import", "--change", "ENV HELLO=world", tar, "sk/test:1").Trim();
        var archive = _tmp.Combine("save.tar");
        berth.Ok("save", "-o", archive, "sk/test:1");

        var inspect = Run.Tool("skopeo", ["inspect", "--config", $"oci-archive:{archive}"]);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("HELLO=world", inspect.Stdout);
        var raw = Run.Tool("skopeo", ["inspect", $"docker-archive:{archive}"]);
        Assert.True(raw.ExitCode == 0, raw.ToString());

        var layout = _tmp.Combine("layout");
        var copy = Run.Tool("skopeo", ["copy", $"oci-archive:{archive}", $"oci:{layout}:copied"]);
        Assert.True(copy.ExitCode == 0, copy.ToString());

        var bundle = _tmp.Combine("bundle");
        var unpack = Run.Tool("umoci", ["unpack", "--image", $"{layout}:copied", bundle]);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));
        Assert.Contains("HELLO=world", File.ReadAllText(Path.Combine(bundle, "config.json")));

        // umoci reads berth's layout directly too (the tar, unpacked, is an OCI layout).
        var direct = _tmp.Combine("direct");
        Directory.CreateDirectory(direct);
        Assert.Equal(0, Run.Tool("tar", ["-xf", archive, "-C", direct]).ExitCode);
        var unpack2 = Run.Tool("umoci", ["unpack", "--image", $"{direct}:1", _tmp.Combine("bundle2")]);
        Assert.True(unpack2.ExitCode == 0, unpack2.ToString());
        _ = id;
    }

    [Fact]
    public void BerthLoadsWhatSkopeoCopiesOutOfDocker()
    {
        var tar = bases.Require();
        RequireDocker();
        HostCapabilities.RequireTool("skopeo");
        Assert.Equal(0, Run.Tool("docker", ["import", "--change", "ENV VIA=skopeo", tar, $"{_tag}:sk"]).ExitCode);
        try
        {
            var archive = _tmp.Combine("sk.tar");
            var copy = Run.Tool("skopeo", ["copy", $"docker-daemon:{_tag}:sk", $"oci-archive:{archive}:{_tag}:sk"], timeout: TimeSpan.FromMinutes(2));
            Assert.True(copy.ExitCode == 0, copy.ToString());
            var berth = new Testing.Berth(_tmp.Combine("root"));
            var loaded = berth.Ok("load", "-i", archive);
            Assert.Contains("Loaded image", loaded);
            var images = berth.Ok("images", "--format", "{{.ID}}", "--no-trunc");
            var id = images.Trim().Split('\n').Single();
            Assert.Contains("VIA=skopeo", berth.Ok("image", "inspect", "--format", "{{json .Config.Env}}", id));
            Assert.Equal(0, berth.Run("system", "check").ExitCode);
        }
        finally
        {
            Docker("rmi", "-f", $"{_tag}:sk");
        }
    }

    public void Dispose() => _tmp.Dispose();
}
