using System.Formats.Tar;
using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class OutputTests(BuildFixture f)
{
    [Fact]
    public void OutputOciAndDockerWriteTheArchiveSaveWrites()
    {
        // --output type=oci|docker is berth save of the result: the same bytes, so every reader of save reads it.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", "a"), ("Dockerfile", "FROM busybox\nCOPY a.txt /a\nCMD [\"/bin/sh\"]\n"));
        var tag = Tag("out");
        var oci = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N") + ".oci.tar");
        var docker = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N") + ".docker.tar");
        berth.Ok("build", "-q", "-t", tag, "--output", $"type=oci,dest={oci}", ctx);
        berth.Ok("build", "-q", "-t", tag, "-o", $"type=docker,dest={docker}", ctx);
        var saved = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N") + ".saved.tar");
        berth.Ok("save", "-o", saved, tag);
        // Entry by entry: the PAX extended-header names TarWriter makes hold the writer's PID, so bytes differ.
        Assert.Equal(Entries(saved), Entries(oci));
        Assert.Equal(Entries(saved), Entries(docker));
        var image = SavedImage.FromDockerArchive(oci);
        Assert.StartsWith("file 644 0:0 1 ", image.Tree["a"]);
        Assert.Equal("/bin/sh", image.Config["config"]!["Cmd"]![0]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(oci))!, ".*.berth-*"));
    }

    [Fact]
    public void OutputTarIsTheFlattenedRootFilesystemOfTheTargetStage()
    {
        // type=tar is the target stage's tree with whiteouts applied: a deleted file is absent, not a .wh. entry.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            FROM busybox AS build
            RUN echo built > /artifact && echo gone > /tmp/gone
            RUN rm /tmp/gone
            FROM busybox
            COPY --from=build /artifact /out/artifact
            """));
        var tar = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N") + ".tar");
        berth.Ok("build", "-q", "--target", "build", "--output", $"type=tar,dest={tar}", ctx);
        var names = Names(tar);
        Assert.Contains("artifact", names);
        Assert.Contains("bin/busybox", names);
        Assert.DoesNotContain("tmp/gone", names);
        Assert.DoesNotContain(names, n => n.Contains(".wh.", StringComparison.Ordinal));

        // dest=- streams the tar to stdout, and nothing else goes there (not even with -q).
        var piped = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N") + ".piped.tar");
        var r = Run.Tool(RepoPaths.BerthBinary, [.. berth.GlobalArgs, "build", "-q", "-o", "type=tar,dest=-", ctx], stdoutFile: piped, env: berth.Environment);
        Assert.True(r.ExitCode == 0, r.ToString());
        var final = Names(piped);
        Assert.Contains("out/artifact", final);
        Assert.DoesNotContain("artifact", final);
        Assert.Equal(0, new FileInfo(piped).Length % 512);

        var local = Path.Combine(ctx, "..", Guid.NewGuid().ToString("N"));
        berth.Ok("build", "-q", "-o", local, ctx);
        Assert.Equal("built\n", File.ReadAllText(Path.Combine(local, "out", "artifact")));
    }

    [Fact]
    public void BadOutputFailsBeforeAnythingRunsAndTagsNothing()
    {
        // A typo in --output must fail before anything runs. Its value is checked after flag parsing, so the exit is
        // an error's (1, as buildx's for a bad --output or --progress value), not a usage error's (125).
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", "FROM busybox\nRUN true\n"));
        var tag = Tag("badout");
        var r = berth.Run("build", "--progress=plain", "-t", tag, "--output", "type=registry,dest=x", ctx);
        r.AssertExit(1, "invalid --output \"type=registry,dest=x\": type must be oci, docker, tar or local");
        Assert.DoesNotContain("RUN true", r.Stderr);
        berth.AssertNoImage(tag);
    }

    [Fact]
    public void NoCacheFilterRerunsOnlyTheNamedStages()
    {
        // --no-cache-filter rebuilds the named stages and keeps the cache for the others.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", """
            FROM busybox AS deps
            RUN echo deps > /deps
            FROM busybox AS app
            COPY --from=deps /deps /deps
            RUN cat /proc/sys/kernel/random/uuid > /stamp
            """));
        var tag = Tag("filter");
        berth.Ok("build", "-t", tag, ctx);
        var before = SavedImage.Of(berth, tag).Tree["stamp"];
        var r = berth.Run("build", "--progress=plain", "-t", tag, "--no-cache-filter", "app", ctx);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"\[deps 2/2\] RUN echo deps > /deps\n#\d+ CACHED", r.Stderr);
        Assert.Matches(@"\[app 3/3\] RUN cat /proc/sys/kernel/random/uuid > /stamp\n#\d+ running: --no-cache-filter", r.Stderr);
        Assert.NotEqual(before, SavedImage.Of(berth, tag).Tree["stamp"]);
        var unknown = berth.Run("build", "--progress=plain", "-t", tag, "--no-cache-filter", "nosuch,deps", ctx);
        Assert.Contains("[Warning] --no-cache-filter: no stage named nosuch", unknown.Stderr);
        Assert.Matches(@"RUN echo deps > /deps\n#\d+ running: --no-cache-filter", unknown.Stderr);
    }

    private static List<string> Entries(string tar)
    {
        var list = new List<string>();
        using var reader = new TarReader(File.OpenRead(tar));
        while (reader.GetNextEntry() is { } e)
            list.Add($"{e.Name} {e.EntryType} {(e.DataStream is null ? "" : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(e.DataStream)))}");
        return list;
    }

    private static List<string> Names(string tar)
    {
        var list = new List<string>();
        using var reader = new TarReader(File.OpenRead(tar));
        while (reader.GetNextEntry() is { } e) list.Add(e.Name.TrimStart('.', '/').TrimEnd('/'));
        return list;
    }
}
