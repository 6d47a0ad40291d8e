using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class CacheTests(BuildFixture f)
{
    [Fact]
    public void TouchKeepsTheCacheAndAnEditBustsOnlyLaterSteps()
    {
        // The promise of DESIGN.md: keys use content, never mtimes; a changed byte reruns that step and the rest.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", "a"), ("b.txt", "b"), ("Dockerfile", "FROM busybox\nCOPY a.txt /a\nCOPY b.txt /b\nRUN cat /a /b > /ab\n"));
        var tag = Tag("cache");
        BuildOk(berth, "-t", tag, ctx);
        var id = berth.Ok("inspect", "--format", "{{.Id}}", tag);
        File.SetLastWriteTimeUtc(Path.Combine(ctx, "a.txt"), DateTime.UtcNow.AddHours(1));
        var touched = BuildOk(berth, "-t", tag, ctx);
        Assert.DoesNotContain("running", touched);
        Assert.Equal(id, berth.Ok("inspect", "--format", "{{.Id}}", tag));

        File.WriteAllText(Path.Combine(ctx, "b.txt"), "B");
        var edited = BuildOk(berth, "-t", tag, ctx);
        Assert.Matches(@"COPY\ a\.txt\ /a\n#\d+ CACHED", edited);
        Assert.Contains("COPY: b.txt changed", edited);
        Assert.Contains("running: parent changed", edited);
        Assert.Contains(SavedImage.Sha12("aB"), SavedImage.Of(berth, tag).Tree["ab"]);
    }

    [Fact]
    public void BuildArgChangeBustsTheStepsThatUseIt()
    {
        // A build arg is an input of the steps that see it; other build args must not bust anything.
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", "FROM busybox\nCOPY Dockerfile /d\nARG V=1\nRUN echo $V > /v\n"));
        var tag = Tag("arg");
        BuildOk(berth, "-t", tag, ctx);
        var same = BuildOk(berth, "-t", tag, "--build-arg", "V=1", ctx);
        Assert.DoesNotContain("running", same);
        var changed = BuildOk(berth, "-t", tag, "--build-arg", "V=2", ctx);
        Assert.Matches(@"COPY\ Dockerfile\ /d\n#\d+ CACHED", changed);
        Assert.Matches(@"RUN\ echo\ \$V\ >\ /v\n#\d+ running", changed);
        Assert.Contains(SavedImage.Sha12("2\n"), SavedImage.Of(berth, tag).Tree["v"]);
        var unused = BuildOk(berth, "-t", tag, "--build-arg", "V=2", "--build-arg", "OTHER=x", ctx);
        Assert.Contains("[Warning] One or more build-args [OTHER] were not consumed", unused);
    }

    [Fact]
    public void NoCacheRunsEveryStepAndCacheIsSharedAcrossImages()
    {
        // --no-cache must really rebuild; two Dockerfiles with a common prefix share its layers.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", "shared"), ("Dockerfile", "FROM busybox\nCOPY a.txt /a\nLABEL x=1\n"), ("Two.Dockerfile", "FROM busybox\nCOPY a.txt /a\nLABEL x=2\n"));
        var one = Tag("one");
        BuildOk(berth, "-t", one, ctx);
        var again = BuildOk(berth, "--no-cache", "-t", one, ctx);
        Assert.Contains("running: --no-cache", again);
        var two = Tag("two");
        var second = BuildOk(berth, "-t", two, "-f", Path.Combine(ctx, "Two.Dockerfile"), ctx);
        Assert.Matches(@"COPY\ a\.txt\ /a\n#\d+ CACHED", second);
        Assert.Equal(SavedImage.Of(berth, one).DiffIds, SavedImage.Of(berth, two).DiffIds);
    }

    [Fact]
    public void BaseImageChangeBustsEverything()
    {
        // The FROM image is the first input of every key: a new base must rebuild all steps.
        var berth = f.Require();
        var baseTag = Tag("base");
        var ctx1 = f.Context(("Dockerfile", "FROM busybox\nLABEL base=1\n"));
        BuildOk(berth, "-t", baseTag, ctx1);
        var ctx = f.Context(("a.txt", "a"), ("Dockerfile", $"FROM {baseTag}\nCOPY a.txt /a\n"));
        var tag = Tag("onbase");
        BuildOk(berth, "-t", tag, ctx);
        File.WriteAllText(Path.Combine(ctx1, "Dockerfile"), "FROM busybox\nLABEL base=2\n");
        BuildOk(berth, "-t", baseTag, ctx1);
        var rebuilt = BuildOk(berth, "-t", tag, ctx);
        Assert.Contains("running", rebuilt);
    }

    [Fact]
    public void CopyLayersAreBitIdenticalAndSourceDateEpochFixesTheImage()
    {
        // Reproducibility: the same inputs give the same layer digests, and with SOURCE_DATE_EPOCH the same image.
        var berth = f.Require();
        var ctx = f.Context(("a/b/c.txt", "c"), ("Dockerfile", "FROM busybox\nCOPY a /x/y/\nENV Z=1\n"));
        var t1 = Tag("repro");
        var t2 = Tag("repro");
        BuildOk(berth, "-t", t1, "--build-arg", "SOURCE_DATE_EPOCH=1700000000", ctx);
        BuildOk(berth, "--no-cache", "-t", t2, "--build-arg", "SOURCE_DATE_EPOCH=1700000000", ctx);
        Assert.Equal(SavedImage.Of(berth, t1).DiffIds, SavedImage.Of(berth, t2).DiffIds);
        Assert.Equal(berth.Ok("inspect", "--format", "{{.Id}}", t1), berth.Ok("inspect", "--format", "{{.Id}}", t2));
    }

    [Fact]
    public void BuilderPruneDropsTheCacheAndGcKeepsItOtherwise()
    {
        // The cache must survive image GC (it is a root) and go with builder prune; system df must count it.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", Guid.NewGuid().ToString()), ("Dockerfile", "FROM busybox\nCOPY a.txt /a\n"));
        var tag = Tag("prune");
        BuildOk(berth, "-t", tag, ctx);
        berth.Ok("rmi", tag);
        berth.Ok("image", "prune", "-f");
        Assert.Matches(@"COPY a\.txt /a\n#\d+ CACHED", BuildOk(berth, "-t", tag, ctx));
        Assert.Matches(@"Build Cache\s+[1-9]", berth.Ok("system", "df"));
        berth.Ok("builder", "prune", "-f");
        Assert.Contains("running", BuildOk(berth, "-t", tag, ctx));
        Assert.Contains("ok", berth.Ok("system", "check"));
    }
}
