using Berth.Testing;

namespace Berth.IntegrationTests.Cli;

/// <summary>How the command line answers before any work (issue 13): usage errors exit 125, no command prints
/// the help and exits 0, an unknown command is named as docker 28 names it and exits 1, even asked for --help.
/// None of these needs root or a store.</summary>
[Trait("Category", "Integration")]
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private RunResult Berth(params string[] args)
    {
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return Run.Tool(RepoPaths.BerthBinary, ["--root", _tmp.Combine("root"), "--state-dir", _tmp.Combine("state"), .. args], timeout: TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_bad_progress_value_is_a_usage_error()
    {
        Directory.CreateDirectory(_tmp.Combine("ctx"));
        var r = Berth("build", "--progress=bogus", _tmp.Combine("ctx"));
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("berth: invalid argument \"bogus\" for \"--progress\" flag: must be one of auto, plain, tty, quiet, rawjson\n" +
            "See 'berth build --help'.\n", r.Stderr);
        Assert.False(Directory.Exists(_tmp.Combine("root")), "a usage error must not create the store");
    }

    [Fact]
    public void No_command_prints_the_help_and_exits_0()
    {
        var r = Berth();
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Usage:  berth [OPTIONS] COMMAND\n", r.Stdout);
        Assert.Contains("\nRun 'berth COMMAND --help' for more information on a command.\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void An_unknown_command_is_named_as_docker_names_it()
    {
        // docker 28: "docker: unknown command: docker swarm2" (it never matches a later word: not "berth init").
        var r = Berth("swarm", "init", "net1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("berth: unknown command: berth swarm\n\nRun 'berth --help' for more information\n", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void An_unknown_subcommand_of_a_management_command_names_both()
    {
        var r = Berth("container", "bogus");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("berth: unknown command: berth container bogus\n\nUsage:  berth container\n\nRun 'berth container --help' for more information\n", r.Stderr);
    }

    [Fact]
    public void Help_for_a_command_that_does_not_exist_is_an_error()
    {
        var r = Berth("frobnicate", "--help");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Global_flags_with_values_are_skipped_before_the_command()
    {
        var r = Berth("--log-level", "debug", "nosuch");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("berth: unknown command: berth nosuch\n", r.Stderr);
    }

    public void Dispose() => _tmp.Dispose();
}
