using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

/// <summary>Why a step ran (issue 13): a changed build argument is named with its old and new value, as changed
/// files are; a changed parent that no argument explains still says "parent changed".</summary>
[Collection("build")]
public sealed class BuildArgReasonTests(BuildFixture f)
{
    [Fact]
    public void A_changed_build_arg_is_named_as_the_reason_a_step_ran()
    {
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", "FROM busybox\nARG VERSION=1\nARG UNSET\nRUN echo $VERSION $UNSET > /v\n"));
        var tag = Tag("argwhy");
        BuildOk(berth, "-t", tag, ctx);
        var changed = BuildOk(berth, "-t", tag, "--build-arg", "VERSION=2", ctx);
        Assert.Matches(@"#\d+ \[4/4\] RUN echo \$VERSION \$UNSET > /v\n#\d+ running: ARG VERSION changed: 1 → 2\n", changed);
        var both = BuildOk(berth, "-t", tag, "--build-arg", "VERSION=3", "--build-arg", "UNSET=x", ctx);
        Assert.Matches(@"#\d+ running: ARG UNSET changed: \(unset\) → x; ARG VERSION changed: 2 → 3\n", both);
    }

    [Fact]
    public void A_changed_file_still_says_parent_changed_for_the_steps_after_it()
    {
        var berth = f.Require();
        var ctx = f.Context(("a.txt", "1"), ("Dockerfile", "FROM busybox\nARG V=1\nCOPY a.txt /a\nRUN cat /a > /b\n"));
        var tag = Tag("parentwhy");
        BuildOk(berth, "-t", tag, ctx);
        File.WriteAllText(Path.Combine(ctx, "a.txt"), "2");
        var edited = BuildOk(berth, "-t", tag, ctx);
        Assert.Contains("running: COPY: a.txt changed\n", edited);
        Assert.Matches(@"RUN cat /a > /b\n#\d+ running: parent changed\n", edited);
    }
}
