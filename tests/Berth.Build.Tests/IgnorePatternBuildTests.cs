using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class IgnorePatternBuildTests(BuildFixture f)
{
    [Fact]
    public void AnAdversarialDockerignoreDoesNotHangTheBuild()
    {
        // Issue 14, defect 4: this .dockerignore against 30-character names kept a build busy for over 300 s.
        var berth = f.Require();
        var files = Enumerable.Range(0, 30).Select(i => (new string('a', 30 + i), "x")).ToList();
        files.Add(("keep" + new string('a', 27) + "b", "kept"));
        files.Add((".dockerignore", string.Concat(Enumerable.Repeat("*a", 27)) + "*b\n"));
        files.Add(("Dockerfile", "FROM busybox\nCOPY . /ctx\n"));
        var ctx = f.Context([.. files]);
        var tag = Tag("adversarial-ignore");
        var r = Run.Tool(RepoPaths.BerthBinary, ["--root", berth.Root, "build", "-q", "-t", tag, ctx], timeout: TimeSpan.FromSeconds(90));
        Assert.True(r.ExitCode == 0, r.ToString());
        var tree = SavedImage.Of(berth, tag).Tree;
        Assert.True(tree.ContainsKey("ctx/" + new string('a', 30)));
        Assert.False(tree.ContainsKey("ctx/keep" + new string('a', 27) + "b"));
    }
}
