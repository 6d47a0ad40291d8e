using Berth.Testing;

namespace Berth.IntegrationTests.Cli;

/// <summary>Finding what exists (issue 13): grouped --help as docker's, docker's management-command spellings
/// (image build, container run …), and completion scripts generated from the command tree.</summary>
[Trait("Category", "Integration")]
public sealed class HelpAndCompletionTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private RunResult Berth(params string[] args)
    {
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return Run.Tool(RepoPaths.BerthBinary, ["--root", _tmp.Combine("root"), .. args], timeout: TimeSpan.FromSeconds(60));
    }

    /// <summary>The names listed under a heading of a help text, in order.</summary>
    private static List<string> Group(string help, string heading)
    {
        var start = help.IndexOf("\n" + heading + ":\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {heading} in:\n{help}");
        return help[(start + heading.Length + 3)..].Split('\n').TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).ToList();
    }

    [Fact]
    public void Root_help_groups_commands_as_docker()
    {
        var r = Berth("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "version", "info"], Group(r.Stdout, "Common Commands"));
        Assert.Equal(["builder", "container", "image", "manifest", "network", "runtime", "system", "volume"], Group(r.Stdout, "Management Commands"));
        Assert.Contains("\n  pull        Download an image from a registry\n", r.Stdout);
        var commands = Group(r.Stdout, "Commands");
        Assert.Contains("rmi", commands);
        Assert.Contains("completion", commands);
        Assert.Contains("daemon", commands);
        Assert.DoesNotContain("run", commands);
        Assert.Equal(commands.Order(StringComparer.Ordinal), commands);
        // cobra's padding: names in a column 12 wide.
        Assert.Contains("\n  run         Create and run a new container from an image\n", r.Stdout);
        Assert.Contains("\n  -l, --log-level string", r.Stdout);
        Assert.Contains("\n  -v, --version ", r.Stdout);
        Assert.EndsWith("\nRun 'berth COMMAND --help' for more information on a command.\n", r.Stdout);
    }

    [Fact]
    public void Management_help_lists_subcommands_as_docker()
    {
        var r = Berth("container", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Usage:  berth container COMMAND\n\nManage containers\n\nCommands:\n  attach      ", r.Stdout);
        Assert.EndsWith("\nRun 'berth container COMMAND --help' for more information on a command.\n", r.Stdout);
        var bare = Berth("image");
        Assert.Equal(0, bare.ExitCode);
        Assert.Contains("\n  build       Build an image from a Dockerfile\n", bare.Stdout);
    }

    [Theory]
    [InlineData("image", "build")]
    [InlineData("builder", "build")]
    [InlineData("container", "run")]
    [InlineData("container", "ls")]
    [InlineData("container", "list")]
    [InlineData("image", "ls")]
    [InlineData("image", "list")]
    [InlineData("system", "info")]
    public void Docker_management_spellings_exist(string group, string verb)
    {
        var r = Berth(group, verb, "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
    }

    [Fact]
    public void Image_build_is_build()
    {
        // Same flags, same usage error: --progress=bogus through image build is refused by the parser.
        var r = Berth("image", "build", "--progress=bogus", _tmp.Path);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("See 'berth image build --help'.", r.Stderr);
    }

    [Fact]
    public void Bash_completion_completes_commands_subcommands_and_flags()
    {
        HostCapabilities.RequireTool("bash");
        var script = Berth("completion", "bash");
        Assert.Equal(0, script.ExitCode);
        var file = _tmp.Combine("berth.bash");
        File.WriteAllText(file, script.Stdout);
        string Complete(params string[] words)
        {
            var line = string.Join(' ', words.Select(w => $"'{w}'"));
            var r = Run.Tool("bash", ["-c", $"source '{file}'; COMP_WORDS=(berth {line}); COMP_CWORD={words.Length}; _berth; printf '%s\\n' \"${{COMPREPLY[@]}}\""]);
            Assert.True(r.ExitCode == 0, r.ToString());
            return r.Stdout;
        }
        var c = Complete("c").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("container", c);
        Assert.Contains("create", c);
        Assert.Contains("completion", c);
        Assert.DoesNotContain("run", c);
        Assert.Contains("prune\n", Complete("container", "pr"));
        Assert.Contains("--progress\n", Complete("image", "build", "--pro"));
        Assert.Contains("--root\n", Complete("image", "build", "--ro"));
    }

    [Theory]
    [InlineData("zsh", "#compdef berth\n")]
    [InlineData("fish", "# fish completion for berth")]
    public void Zsh_and_fish_scripts(string shell, string start)
    {
        var r = Berth("completion", shell);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(start, r.Stdout);
        if (shell == "fish")
            Assert.Contains("complete -c berth -f -n '__berth_at \"container\"' -a 'ls' -d 'List containers'\n", r.Stdout);
    }

    [Fact]
    public void Completion_for_an_unknown_shell_is_a_usage_error()
    {
        var r = Berth("completion", "tcsh");
        Assert.Equal(125, r.ExitCode);
    }

    public void Dispose() => _tmp.Dispose();
}
