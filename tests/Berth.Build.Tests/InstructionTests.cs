using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class InstructionTests(BuildFixture f)
{
    [Fact]
    public void ConfigInstructionsShapeTheImageConfigAndHistory()
    {
        // Every metadata instruction must land in the config field docker uses, or `run` behaves differently.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            ARG BASE=busybox
            FROM $BASE
            MAINTAINER someone@example.com
            ARG VERSION=1.0
            ENV APP=/app VERSION=$VERSION
            WORKDIR app
            WORKDIR sub
            LABEL version=$VERSION "with space"="a b"
            EXPOSE 8080 53/udp
            USER app:app
            VOLUME ["/data", "/cache"]
            STOPSIGNAL SIGINT
            HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost
            SHELL ["/bin/sh", "-ec"]
            ONBUILD RUN echo triggered
            ENTRYPOINT ["/bin/echo"]
            CMD echo hi
            """));
        var tag = Tag("config");
        berth.Ok("build", "-q", "-t", tag, "--label", "extra=yes", ctx);
        var img = SavedImage.Of(berth, tag);
        var c = img.Config["config"]!;
        Assert.Equal("someone@example.com", img.Config["author"]!.GetValue<string>());
        Assert.Contains("APP=/app", c["Env"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Contains("VERSION=1.0", c["Env"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("/app/sub", c["WorkingDir"]!.GetValue<string>());
        Assert.Equal("1.0", c["Labels"]!["version"]!.GetValue<string>());
        Assert.Equal("a b", c["Labels"]!["with space"]!.GetValue<string>());
        Assert.Equal("yes", c["Labels"]!["extra"]!.GetValue<string>());
        Assert.NotNull(c["ExposedPorts"]!["8080/tcp"]);
        Assert.NotNull(c["ExposedPorts"]!["53/udp"]);
        Assert.Equal("app:app", c["User"]!.GetValue<string>());
        Assert.NotNull(c["Volumes"]!["/data"]);
        Assert.Equal("SIGINT", c["StopSignal"]!.GetValue<string>());
        Assert.Equal(["CMD-SHELL", "wget -q localhost"], c["Healthcheck"]!["Test"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(5_000_000_000L, c["Healthcheck"]!["Interval"]!.GetValue<long>());
        Assert.Equal(["/bin/sh", "-ec"], c["Shell"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(["RUN echo triggered"], c["OnBuild"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(["/bin/echo"], c["Entrypoint"]!.AsArray().Select(e => e!.GetValue<string>()));
        // CMD's shell form goes through the SHELL in effect.
        Assert.Equal(["/bin/sh", "-ec", "echo hi"], c["Cmd"]!.AsArray().Select(e => e!.GetValue<string>()));
        var history = img.Config["history"]!.AsArray();
        var createdBy = history.Select(h => h!["created_by"]?.GetValue<string>() ?? "").ToList();
        Assert.Contains("ENV APP=/app VERSION=1.0", createdBy);
        Assert.Contains("EXPOSE map[53/udp:{} 8080/tcp:{}]", createdBy);
        Assert.Contains("CMD [\"/bin/sh\" \"-ec\" \"echo hi\"]", createdBy);
        // Metadata-only steps are empty layers; WORKDIR that creates a directory is a layer.
        Assert.True(history.Single(h => h!["created_by"]?.GetValue<string>() == "USER app:app")!["empty_layer"]!.GetValue<bool>());
        Assert.Equal(history.Count(h => h!["empty_layer"] is null), img.DiffIds.Count);
        Assert.StartsWith("dir 755 0:0", img.Tree["app/sub"]);
    }

    [Fact]
    public void CopyFollowsDirectoryFileAndTrailingSlashRules()
    {
        // These rules decide where every copied file lands; each case here is one docker users rely on.
        var berth = f.Require();
        var ctx = f.Context(
            ("src/a.txt", "a"), ("src/sub/b.txt", "b"), ("one.txt", "1"), ("two.txt", "2"), ("x.log", "ignored"),
            ("node_modules/m.js", "m"), (".dockerignore", "*.log\nnode_modules\n"),
            ("Dockerfile", """
                FROM busybox
                WORKDIR /w
                COPY src /dir-contents
                COPY one.txt /file-renamed
                COPY one.txt /into/
                COPY *.txt /glob/
                COPY --chown=app:app --chmod=640 one.txt two.txt /owned/
                COPY --parents src/sub/b.txt /parents/
                COPY --exclude=sub src /excluded/
                COPY . /all/
                COPY <<EOT /heredoc.txt
                hello $HOSTNAME
                EOT
                COPY one.txt rel
                """));
        var tag = Tag("copy");
        berth.Ok("build", "-q", "-t", tag, ctx);
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.StartsWith("file 644 0:0 1 ", t["dir-contents/a.txt"]);
        Assert.True(t.ContainsKey("dir-contents/sub/b.txt"));
        Assert.False(t.ContainsKey("dir-contents/src"));
        Assert.StartsWith("file 644 0:0 1 ", t["file-renamed"]);
        Assert.True(t.ContainsKey("into/one.txt"));
        Assert.True(t.ContainsKey("glob/one.txt") && t.ContainsKey("glob/two.txt"));
        Assert.StartsWith("file 640 1000:1000 ", t["owned/one.txt"]);
        Assert.StartsWith("dir 755 1000:1000", t["owned"]);
        Assert.True(t.ContainsKey("parents/src/sub/b.txt"));
        Assert.True(t.ContainsKey("excluded/a.txt"));
        Assert.False(t.ContainsKey("excluded/sub"));
        Assert.False(t.ContainsKey("all/x.log"));
        Assert.False(t.ContainsKey("all/node_modules"));
        Assert.True(t.ContainsKey("all/Dockerfile"));
        Assert.Contains(SavedImage.Sha12("hello \n"), t["heredoc.txt"]);
        Assert.True(t.ContainsKey("w/rel"));
    }

    [Fact]
    public void AddExtractsLocalArchives()
    {
        // ADD's one difference from COPY that Dockerfiles depend on: local tars (also compressed) are unpacked.
        var berth = f.Require();
        var ctx = f.Context(("payload/inner.txt", "inner"), ("Dockerfile", "FROM busybox\nADD app.tar.gz /opt/\nADD plain.txt /opt/plain.txt\n"), ("plain.txt", "p"));
        Assert.Equal(0, Run.Shell($"tar -C {ctx}/payload -czf {ctx}/app.tar.gz inner.txt").ExitCode);
        var tag = Tag("add");
        berth.Ok("build", "-q", "-t", tag, ctx);
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.StartsWith("file ", t["opt/inner.txt"]);
        Assert.False(t.ContainsKey("opt/app.tar.gz"));
        Assert.StartsWith("file ", t["opt/plain.txt"]);
    }

    [Fact]
    public void RunChangesBecomeALayerWithWhiteouts()
    {
        // RUN's layer is the overlay upper dir: new files, and deletions as whiteouts that hide the base's files.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            FROM busybox
            ARG WHO=world
            RUN echo "hello $WHO" > /greeting && rm /etc/group
            RUN <<EOF
            echo from-heredoc > /heredoc
            EOF
            RUN ["/bin/sh", "-c", "echo exec > /exec"]
            """));
        var tag = Tag("run");
        berth.Ok("build", "-q", "-t", tag, "--build-arg", "WHO=berth", ctx);
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.Contains(SavedImage.Sha12("hello berth\n"), t["greeting"]);
        Assert.False(t.ContainsKey("etc/group"));
        Assert.Contains(SavedImage.Sha12("from-heredoc\n"), t["heredoc"]);
        Assert.Contains(SavedImage.Sha12("exec\n"), t["exec"]);
    }

    [Fact]
    public void MultiStageBuildsOnlyWhatTheTargetNeedsAndCopiesFromStages()
    {
        // A broken stage the target does not reach must not fail the build (BuildKit); --from reads a stage's tree.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            FROM busybox AS build
            RUN echo built > /artifact
            FROM busybox AS broken
            RUN exit 1
            FROM scratch AS final
            COPY --from=build /artifact /artifact
            COPY --from=busybox /bin/busybox /busybox
            FROM final AS extended
            LABEL stage=extended
            """));
        var tag = Tag("multi");
        berth.Ok("build", "-q", "-t", tag, "--target", "final", ctx);
        var img = SavedImage.Of(berth, tag);
        Assert.Contains(SavedImage.Sha12("built\n"), img.Tree["artifact"]);
        Assert.True(img.Tree.ContainsKey("busybox"));
        Assert.Equal(2, img.Tree.Count);
        Assert.Null(img.Config["config"]!["Labels"]);
        var ext = Tag("ext");
        berth.Ok("build", "-q", "-t", ext, ctx);
        Assert.Equal("extended", SavedImage.Of(berth, ext).Config["config"]!["Labels"]!["stage"]!.GetValue<string>());
    }

    [Fact]
    public void ContextAndDockerfileCanComeFromStdin()
    {
        // `-` is a tar context on stdin and `-f -` a Dockerfile on stdin; CI pipelines use both.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", "FROM busybox\nCOPY hello.txt /\n"), ("hello.txt", "hi"), ("Other.Dockerfile", "FROM busybox\nCOPY hello.txt /other\n"));
        var tar = Path.Combine(f.Root, Guid.NewGuid().ToString("N") + ".tar");
        Assert.Equal(0, Run.Shell($"tar -C {ctx} -cf {tar} .").ExitCode);
        var t1 = Tag("stdin");
        var r = berth.RunWithStdin(tar, "build", "-q", "-t", t1, "-");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(SavedImage.Of(berth, t1).Tree.ContainsKey("hello.txt"));
        var t2 = Tag("stdinfile");
        r = berth.RunWithStdin(Path.Combine(ctx, "Other.Dockerfile"), "build", "-q", "-t", t2, "-f", "-", ctx);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(SavedImage.Of(berth, t2).Tree.ContainsKey("other"));
        var t3 = Tag("fflag");
        var iid = Path.Combine(f.Root, Guid.NewGuid().ToString("N") + ".iid");
        berth.Ok("build", "-q", "-t", t3, "-t", t3.Replace(":t", ":u", StringComparison.Ordinal), "--iidfile", iid, "-f", Path.Combine(ctx, "Other.Dockerfile"), ctx);
        Assert.StartsWith("sha256:", File.ReadAllText(iid));
        Assert.Equal(berth.Ok("inspect", "--format", "{{.Id}}", t3).Trim(), berth.Ok("inspect", "--format", "{{.Id}}", t3.Replace(":t", ":u", StringComparison.Ordinal)).Trim());
    }
}
