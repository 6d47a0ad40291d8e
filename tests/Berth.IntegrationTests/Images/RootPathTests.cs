using Berth.Testing;

namespace Berth.IntegrationTests.Images;

/// <summary>The store root is any directory the user names: paths reach overlayfs inside one option string, where
/// ":" and "," are separators and must be escaped.</summary>
[Collection("images")]
[Trait("Category", "Integration")]
public sealed class RootPathTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    [Theory]
    [InlineData("a:b")]
    [InlineData("a,b")]
    [InlineData(@"a\b:c,d")]
    public void RunAndBuildWorkUnderARootWithOverlaySeparators(string name)
    {
        // Issue 14, defect 8: such a root made every run and build fail with "mount root …/rootfs: No such file".
        var tar = bases.Require();
        using var berth = new Testing.Berth(_tmp.Combine(name, "root"));
        berth.Ok("import", tar, "busybox:latest");

        var run = berth.Run("run", "--rm", "busybox", "sh", "-c", "echo hello > /f && cat /f");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello\n", run.Stdout);

        var context = _tmp.Sub("ctx-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nRUN echo built > /b\nRUN cat /b > /c\n");
        var build = berth.Run("build", "-t", "sep:1", context);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal("built\n", berth.Ok("run", "--rm", "sep:1", "cat", "/c"));
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
    }

    public void Dispose() => _tmp.Dispose();
}
