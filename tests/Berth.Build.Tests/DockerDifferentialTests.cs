using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Build.Tests;

/// <summary>
/// The same Dockerfiles built by <c>docker build</c> (dockerd 20.10, legacy builder) and by berth: flattened trees
/// and config fields must match. Known, documented exceptions (BuildKit's behaviour, which berth follows, where it
/// differs from the legacy builder):
/// <list type="bullet">
/// <item>Env: BuildKit gives every image a default PATH when its base has none; the legacy builder does not. PATH
/// entries are left out of the comparison.</item>
/// <item>Unset string fields: docker writes <c>""</c>, berth omits them; both mean unset.</item>
/// <item>History and timestamps are not compared (created_by wording differs: "#(nop)" vs BuildKit's).</item>
/// </list>
/// </summary>
[Collection("build")]
public sealed class DockerDifferentialTests(BuildFixture f)
{
    public static TheoryData<string, string> Cases => new()
    {
        { "config", "WORKDIR /app\nENV A=1 B=two\nLABEL l=v\nEXPOSE 80 53/udp\nUSER app\nVOLUME /data\nSTOPSIGNAL SIGINT\nENTRYPOINT [\"/bin/echo\"]\nCMD [\"hi\"]\n" },
        { "copy", "WORKDIR /w\nCOPY src /dir/\nCOPY one.txt /file\nCOPY one.txt two.txt /many/\nCOPY --chown=1000:1000 src/a.txt /owned/\nCOPY . /all/\n" },
        { "run", "RUN mkdir -p /made && echo x > /made/f && rm -rf /home/app && ln -s /made /link\nWORKDIR /new/dir\nRUN touch here\n" },
        { "add", "ADD payload.tar /opt/\nADD one.txt /opt/one\n" },
        { "symlinked-destinations", SymlinkedDestinations },
    };

    /// <summary>COPY and WORKDIR into links made by an earlier step: a link to a directory, a chain, a relative one,
    /// one with ".." above the root, links to missing directories and files, a link to a file as the destination.</summary>
    internal const string SymlinkedDestinations = """
        RUN mkdir -p /a /b/c && ln -s /a /lnk && ln -s /lnk /chain && ln -s /missing /dang && ln -s ../b /rel && echo old > /f && ln -s /f /flink && ln -s a /rela && ln -s /../../a /upa && ln -s /dangdir/sub /dang2 && ln -s /wd /wdl
        COPY one.txt /lnk/
        COPY one.txt /chain/viachain
        COPY one.txt /dang/
        COPY one.txt /rel/c/
        COPY one.txt /flink
        COPY one.txt /rela/relafile
        COPY one.txt /upa/upafile
        COPY src /lnk/dircopy
        COPY one.txt two.txt /chain/many/
        COPY one.txt /dang2
        WORKDIR /wdl
        WORKDIR /lnk/sub
        RUN touch here

        """;

    [Theory]
    [MemberData(nameof(Cases))]
    public void BerthAndDockerBuildTheSameImage(string name, string body)
    {
        // Compatibility is the product: a Dockerfile must give the same files and config under berth as under docker.
        var berth = f.Require();
        HostCapabilities.RequireTool("docker");
        HostCapabilities.Require(Run.Tool("docker", ["version"]).ExitCode == 0, "needs a running dockerd");
        var baseTag = $"berth-diff-base-{Guid.NewGuid().ToString("N")[..8]}:latest";
        berth.Ok("tag", "busybox:latest", baseTag);
        var baseTar = Path.Combine(f.Root, Guid.NewGuid().ToString("N") + ".tar");
        berth.Ok("save", "-o", baseTar, baseTag);
        var load = Run.Tool("docker", ["load", "-i", baseTar]);
        Assert.True(load.ExitCode == 0, load.ToString());

        var ctx = f.Context(("src/a.txt", "a"), ("src/sub/b.txt", "b"), ("one.txt", "1"), ("two.txt", "2"), ("Dockerfile", $"FROM {baseTag}\n{body}"));
        Assert.Equal(0, Run.Shell($"mkdir -p {ctx}/p && echo in > {ctx}/p/in.txt && tar -C {ctx}/p -cf {ctx}/payload.tar in.txt && rm -r {ctx}/p").ExitCode);
        var tag = $"berth-diff-{name}-{Guid.NewGuid().ToString("N")[..8]}:latest";
        try
        {
            var d = Run.Tool("docker", ["build", "-q", "-t", tag, ctx], env: new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
            Assert.True(d.ExitCode == 0, d.ToString());
            var dockerTar = Path.Combine(f.Root, Guid.NewGuid().ToString("N") + ".tar");
            Assert.Equal(0, Run.Tool("docker", ["save", "-o", dockerTar, tag]).ExitCode);
            var fromDocker = SavedImage.FromDockerArchive(dockerTar);
            berth.Ok("build", "-q", "-t", tag, ctx);
            var fromBerth = SavedImage.Of(berth, tag);

            Assert.Equal(Listing(fromDocker), Listing(fromBerth));
            foreach (var field in new[] { "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes", "StopSignal" })
                Assert.Equal(Field(fromDocker, field), Field(fromBerth, field));
            Assert.Equal(Env(fromDocker), Env(fromBerth));
        }
        finally
        {
            Run.Tool("docker", ["rmi", "-f", tag, baseTag]);
        }
    }

    private static string Listing(SavedImage i) => SavedImage.Listing(i.Tree);

    /// <summary>A config field, normalised: docker writes "" for unset strings where berth omits them, and map
    /// key order is not meaningful.</summary>
    private static string Field(SavedImage i, string name) => i.Config["config"]?[name] switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) && s.Length == 0 => "null",
        JsonObject o => string.Join(',', o.Select(kv => kv.Key + "=" + kv.Value?.ToJsonString()).Order(StringComparer.Ordinal)),
        var n => n.ToJsonString(),
    };

    private static string Env(SavedImage i) =>
        string.Join('\n', (i.Config["config"]?["Env"]?.AsArray() ?? new JsonArray()).Select(e => e!.GetValue<string>()).Where(e => !e.StartsWith("PATH=", StringComparison.Ordinal)));
}
