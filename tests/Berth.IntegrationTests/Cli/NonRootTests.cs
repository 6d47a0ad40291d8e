using Berth.Testing;

namespace Berth.IntegrationTests.Cli;

/// <summary>berth as a user that is not root (issue 13): a command that needs the store says berth needs root
/// before touching it, exit 1; --help and usage errors still answer as for root.</summary>
[Trait("Category", "Integration")]
public sealed class NonRootTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    /// <summary>Runs berth as nobody (uid and gid 65534, no groups) through setpriv, with a store root in a
    /// directory nobody may write, so that only berth's own check can refuse.</summary>
    private RunResult AsNobody(params string[] args)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.RequireTool("setpriv");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        var open = _tmp.Combine("open");
        Directory.CreateDirectory(open);
        Assert.Equal(0, Run.Tool("chmod", ["0777", open]).ExitCode);
        return Run.Tool("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", RepoPaths.BerthBinary,
            "--root", Path.Combine(open, "root"), "--state-dir", Path.Combine(open, "state"), .. args], timeout: TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void Import_as_a_user_says_berth_needs_root_and_leaves_no_store()
    {
        var tar = _tmp.Combine("empty.tar");
        File.WriteAllBytes(tar, new byte[1024]);
        Assert.Equal(0, Run.Tool("chmod", ["0644", tar]).ExitCode);
        var r = AsNobody("import", tar, "x:1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error: berth needs root privileges (rootless mode is not supported yet): run it as root or with sudo\n", r.Stderr);
        Assert.False(Directory.Exists(_tmp.Combine("open", "root")), "the store must not be created");
    }

    [Fact]
    public void Images_as_a_user_says_berth_needs_root()
    {
        var r = AsNobody("images");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("Error: berth needs root privileges", r.Stderr);
    }

    [Fact]
    public void Help_and_usage_errors_work_as_a_user()
    {
        var help = AsNobody("import", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Import the contents from a tarball", help.Stdout);
        var usage = AsNobody("import");
        Assert.Equal(125, usage.ExitCode);
        Assert.DoesNotContain("root privileges", usage.Stderr);
        var root = AsNobody();
        Assert.Equal(0, root.ExitCode);
        Assert.StartsWith("Usage:  berth [OPTIONS] COMMAND", root.Stdout);
    }

    public void Dispose() => _tmp.Dispose();
}
