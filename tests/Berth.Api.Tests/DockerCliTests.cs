using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>The docker CLI 28 on this machine, unchanged, against <c>berth daemon</c> (DOCKER_HOST): the commands
/// people type, with their outputs and exit codes.</summary>
[Collection("api")]
public sealed class DockerCliTests(BusyboxFixture image)
{
    private static void RequireDocker() => HostCapabilities.Require(File.Exists("/usr/local/bin/docker"), "needs the docker CLI at /usr/local/bin/docker");

    [Fact]
    public void VersionAndInfoNegotiateTheApiAndNameBerth()
    {
        // Every docker command starts with the ping's negotiation: a CLI that fell back to 1.24 or failed here could
        // drive nothing else.
        RequireDocker();
        using var s = new ApiStore(image);
        var version = s.DockerOk("version");
        Assert.Contains("API version:       1.47 (downgraded from 1.50)", version);
        Assert.Contains("Server: berth", version);
        Assert.Contains("(minimum version 1.24)", version);
        var info = s.DockerOk("info", "--format", "{{.Images}} {{.Containers}} {{.OSType}} {{.Swarm.LocalNodeState}} {{.DockerRootDir}}");
        Assert.Equal($"1 0 linux inactive {s.Berth.Root}\n", info);
    }

    [Fact]
    public void RunVolumesFromMountsTheSourcesVolumesAndLogsTheirMount()
    {
        // docker run --volumes-from is HostConfig.VolumesFrom: the new container mounts the source's volumes (read-only
        // with :ro), and the log has their mount for it, as dockerd's, with its read/write.
        RequireDocker();
        using var s = new ApiStore(image);
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var writer = s.DockerOk("run", "-d", "--network", "none", "-v", "shared:/data", "busybox:latest", "sh", "-c", "echo hi > /data/f").Trim();
        Assert.Equal("0\n", s.DockerOk("wait", writer));
        var reader = s.DockerOk("create", "--network", "none", "--volumes-from", writer + ":ro", "busybox:latest", "sh", "-c", "cat /data/f; touch /data/g").Trim();
        var run = s.Docker("start", "-a", reader);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("hi\n", run.Stdout);
        Assert.Contains("Read-only file system", run.Stderr);
        Assert.Equal("shared /data false\n", s.DockerOk("inspect", "-f", "{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}", reader));
        var mounts = s.DockerOk("events", "--since", since, "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", "event=mount", "--format", "{{.Actor.ID}} {{.Actor.Attributes.container}} {{index .Actor.Attributes \"read/write\"}}");
        Assert.Equal($"shared {writer} true\nshared {reader} false\n", mounts);
    }

    [Fact]
    public void PushAndPullThroughTheDaemon()
    {
        // docker push and docker pull are POST /images/{name}/push and /images/create: the engine's registry client
        // behind dockerd's JSON message stream, which the CLI renders and whose in-band error it exits 1 on.
        RequireDocker();
        using var registry = new RegistryServer();
        using var s = new ApiStore(image);
        var reference = $"127.0.0.1:{registry.Port}/api/bb:1";
        s.Berth.Ok("tag", "busybox:latest", reference);
        var pushed = s.DockerOk("push", reference);
        Assert.Matches(@"1: digest: sha256:[0-9a-f]{64} size: \d+", pushed);
        s.Berth.Ok("rmi", reference);
        var pulled = s.DockerOk("pull", reference);
        Assert.Contains($"Status: Downloaded newer image for {reference}", pulled);
        Assert.Matches(@"Digest: sha256:[0-9a-f]{64}", pulled);
        Assert.Equal("pulled\n", s.DockerOk("run", "--rm", "--network", "none", reference, "echo", "pulled"));
        Assert.Contains($"Status: Image is up to date for {reference}", s.DockerOk("pull", reference));
        s.Docker("pull", $"127.0.0.1:{registry.Port}/api/nope:1").AssertExit(1, "api/nope");
    }

    [Fact]
    public void RunDetachedLogsInspectStopAndRemove()
    {
        // docker run -d is create, wait (abandoned), start; logs is multiplexed stdout/stderr; the CLI acts on what
        // inspect says. Each must reach the engine the CLI uses: berth ps sees what docker made.
        RequireDocker();
        using var s = new ApiStore(image);
        var id = s.DockerOk("run", "-d", "--name", "web", "--label", "k=v", "busybox:latest", "sh", "-c", "echo out1; echo err1 >&2; echo ready; sleep 300").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Wait.For(() => s.Docker("logs", "web").Stdout.Contains("ready"), "the container's output in docker logs");
        var logs = s.Docker("logs", "web");
        Assert.Equal("out1\nready\n", logs.Stdout);
        Assert.Equal("err1\n", logs.Stderr);
        Assert.Equal("running web k=v\n", s.DockerOk("inspect", "-f", "{{.State.Status}} {{.Name}} {{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}", "web").Replace("/web", "web"));
        Assert.Equal($"{id[..12]} web Up\n", Normalize(s.DockerOk("ps", "--format", "{{.ID}} {{.Names}} {{.Status}}")));
        Assert.Equal("web\n", s.Berth.Ok("ps", "--format", "{{.Names}}"));
        // A running container is not removed without force: 409, the CLI's exit 1.
        s.Docker("rm", "web").AssertExit(1, "You cannot remove a running container");
        Assert.Equal("web\n", s.DockerOk("stop", "-t", "1", "web"));
        Assert.Matches("^Exited \\(137\\)", s.DockerOk("ps", "-a", "--format", "{{.Status}}"));
        // Stopping a stopped container is dockerd's 304, a success for the CLI.
        Assert.Equal("web\n", s.DockerOk("stop", "web"));
        Assert.Equal("web\n", s.DockerOk("rm", "web"));
        Assert.Equal("", s.DockerOk("ps", "-aq"));
        s.Docker("logs", "web").AssertExit(1, "No such container: web");
    }

    [Fact]
    public void AttachedRunPrintsTheOutputAndExitsWithTheContainersCode()
    {
        // docker run without -d attaches (hijacked, Upgrade: tcp) before the start and half-closes at once: it has no
        // stdin. The output comes after that half-close and must still reach it; the exit code is the container's.
        RequireDocker();
        using var s = new ApiStore(image);
        var hi = s.Docker("run", "--rm", "busybox:latest", "echo", "hi");
        hi.AssertExit(0);
        Assert.Equal("hi\n", hi.Stdout);
        var late = s.Docker("run", "--rm", "busybox:latest", "sh", "-c", "sleep 0.5; echo out; echo err >&2");
        late.AssertExit(0);
        Assert.Equal("out\n", late.Stdout);
        Assert.Equal("err\n", late.Stderr);
        var three = s.Docker("run", "--name", "three", "busybox:latest", "sh", "-c", "echo before; exit 3");
        Assert.Equal(3, three.ExitCode);
        Assert.Equal("before\n", three.Stdout);
    }

    [Fact]
    public void RunWithStdinGivesTheContainerItsInputAndItsEnd()
    {
        // echo hi | docker run -i: the CLI sends its stdin and half-closes; the container reads it, then the end of
        // its stdin (StdinOnce), and its output still comes back on the same connection.
        RequireDocker();
        using var s = new ApiStore(image);
        var input = s.Dir.Combine("in.txt");
        File.WriteAllText(input, "hi\nthere\n");
        var cat = s.Daemon.DockerWithStdin(input, "run", "-i", "--rm", "busybox:latest", "cat");
        cat.AssertExit(0);
        Assert.Equal("hi\nthere\n", cat.Stdout);
        var code = s.Daemon.DockerWithStdin(input, "run", "-i", "--rm", "busybox:latest", "sh", "-c", "wc -l; exit 6");
        Assert.Equal(6, code.ExitCode);
        Assert.Equal("2", code.Stdout.Trim());
    }

    [Fact]
    public void ExecPrintsTheOutputTakesStdinAndReturnsTheCode()
    {
        // docker exec is exec create + a hijacked exec start whose body moved into a header; the CLI half-closes after
        // its stdin (at once without -i). Its last stdin bytes and its half-close often arrive in one read.
        RequireDocker();
        using var s = new ApiStore(image);
        s.DockerOk("run", "-d", "--name", "box", "busybox:latest", "sleep", "300");
        var hi = s.Docker("exec", "box", "echo", "hi");
        hi.AssertExit(0);
        Assert.Equal("hi\n", hi.Stdout);
        var input = s.Dir.Combine("in.txt");
        File.WriteAllText(input, "hi\n");
        for (var i = 0; i < 3; i++)
        {
            var cat = s.Daemon.DockerWithStdin(input, "exec", "-i", "box", "cat");
            cat.AssertExit(0);
            Assert.Equal("hi\n", cat.Stdout);
        }
        Assert.Equal(4, s.Docker("exec", "box", "sh", "-c", "exit 4").ExitCode);
        s.DockerOk("rm", "-f", "box");
    }

    [Fact]
    public void WaitReturnsTheExitCodeAndStartRestartsIt()
    {
        // docker wait and the exit code of a run are read from /wait: the container's own code, not 0.
        RequireDocker();
        using var s = new ApiStore(image);
        s.DockerOk("create", "--name", "five", "busybox:latest", "sh", "-c", "exit 5");
        s.DockerOk("start", "five");
        Assert.Equal("5\n", s.DockerOk("wait", "five"));
        Assert.Equal("exited 5\n", s.DockerOk("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "five"));
        s.DockerOk("rm", "five");
    }

    [Fact]
    public void BuildStreamsStepsTagsTheImageAndExitsWithAFailedRunsCode()
    {
        // The legacy builder's stream is what docker build prints; a failed RUN's exit code becomes docker build's.
        RequireDocker();
        using var s = new ApiStore(image);
        var ctx = s.Dir.Sub("ctx");
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox:latest\nARG WHO=nobody\nRUN echo hi-$WHO > /x\nCOPY a.txt /a.txt\nLABEL stage=one\nCMD [\"cat\", \"/x\", \"/a.txt\"]\n");
        File.WriteAllText(Path.Combine(ctx, "a.txt"), "from-context\n");
        var build = s.Docker("build", "-t", "t:1", "--build-arg", "WHO=api", "--label", "via=daemon", ctx);
        build.AssertExit(0);
        Assert.Contains("Step 3/6 : RUN echo hi-$WHO > /x", build.Stdout);
        Assert.Contains("Successfully tagged t:1", build.Stdout);
        Assert.Equal("one daemon\n", s.DockerOk("image", "inspect", "-f", "{{index .Config.Labels \"stage\"}} {{index .Config.Labels \"via\"}}", "t:1"));
        // The built image runs, from the CLI of the same store.
        Assert.Equal("hi-api\nfrom-context\n", s.Berth.Ok("run", "--rm", "t:1"));
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox:latest\nRUN exit 7\n");
        s.Docker("build", "-t", "t:2", ctx).AssertExit(7, "The command '/bin/sh -c exit 7' returned a non-zero code: 7");
        s.Docker("image", "inspect", "t:2").AssertExit(1, "No such image");
    }

    [Fact]
    public void SaveLoadTagAndRemoveImages()
    {
        // save → rmi → load gives the image back under its tag with the same ID; tag and rmi print docker's lines.
        RequireDocker();
        using var s = new ApiStore(image);
        var id = s.DockerOk("images", "-q", "busybox:latest").Trim();
        s.DockerOk("tag", "busybox:latest", "bb:two");
        // One row per tag; the docker CLI orders rows of one image (same Created) with an unstable sort, so compare
        // the set.
        Assert.Equal(["bb:two", "busybox:latest"], s.DockerOk("images", "--format", "{{.Repository}}:{{.Tag}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        var tar = s.Dir.Combine("bb.tar");
        s.DockerOk("save", "-o", tar, "bb:two");
        Assert.True(new FileInfo(tar).Length > 1000);
        Assert.Equal("Untagged: bb:two\n", s.DockerOk("rmi", "bb:two"));
        Assert.Equal("Loaded image: bb:two\n", s.DockerOk("load", "-i", tar));
        Assert.Equal(id + "\n", s.DockerOk("images", "-q", "bb:two"));
        s.Docker("rmi", "nosuch:1").AssertExit(1, "No such image: nosuch:1");
    }

    [Fact]
    public void GenericInspectOfNothingSaysNoSuchObject()
    {
        // docker inspect walks containers, images, networks, volumes, info and plugins: each must answer 404 with
        // a message (and /info a Swarm state) for the CLI to say "No such object".
        RequireDocker();
        using var s = new ApiStore(image);
        var r = s.Docker("inspect", "nosuch");
        r.AssertExit(1, "No such object: nosuch");
        Assert.Equal("[]\n", r.Stdout);
    }

    [Fact]
    public void VolumesAndSystemDf()
    {
        RequireDocker();
        using var s = new ApiStore(image);
        Assert.Equal("data\n", s.DockerOk("volume", "create", "--label", "a=b", "data"));
        Assert.Equal("local data\n", s.DockerOk("volume", "ls", "--format", "{{.Driver}} {{.Name}}"));
        Assert.Equal("data\n", s.Berth.Ok("volume", "ls", "-q"));
        var df = s.DockerOk("system", "df", "--format", "{{.Type}} {{.TotalCount}}");
        Assert.Equal("Images 1\nContainers 0\nLocal Volumes 1\nBuild Cache 0\n", df);
        Assert.Equal("data\n", s.DockerOk("volume", "rm", "data"));
        s.Docker("volume", "inspect", "data").AssertExit(1, "no such volume");
    }

    [Fact]
    public void CopyIntoAndOutOfAContainer()
    {
        // docker cp is HEAD (stat), PUT and GET of /archive: the file goes in and comes back the same.
        RequireDocker();
        using var s = new ApiStore(image);
        s.DockerOk("run", "-d", "--name", "box", "busybox:latest", "sleep", "300");
        var src = s.Dir.Combine("in.txt");
        File.WriteAllText(src, "copied in\n");
        s.DockerOk("cp", src, "box:/tmp/in.txt");
        var back = s.Dir.Combine("out.txt");
        s.DockerOk("cp", "box:/tmp/in.txt", back);
        Assert.Equal("copied in\n", File.ReadAllText(back));
        s.Docker("cp", "box:/nosuch", back).AssertExit(1, "/nosuch");
    }

    private static string Normalize(string ps) => System.Text.RegularExpressions.Regex.Replace(ps, @"Up .*", "Up");
}
