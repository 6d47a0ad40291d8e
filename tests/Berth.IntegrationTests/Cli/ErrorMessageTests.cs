using Berth.Testing;

namespace Berth.IntegrationTests.Cli;

/// <summary>berth has no daemon: its errors say "Error: …", never docker's "Error response from daemon: …"
/// (issue 13). Each command that reports one failure per argument and goes on with the next.</summary>
[Trait("Category", "Integration")]
public sealed class ErrorMessageTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private Testing.Berth Installation()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return new Testing.Berth(_tmp.Combine("root"));
    }

    [Theory]
    [InlineData(new[] { "rmi", "nosuch:1" }, "Error: No such image: nosuch:1\n")]
    [InlineData(new[] { "volume", "rm", "nosuchvolume" }, "Error: get nosuchvolume: no such volume\n")]
    [InlineData(new[] { "rm", "nosuchcontainer" }, "Error: No such container: nosuchcontainer\n")]
    public void Errors_say_Error_not_daemon(string[] args, string expected)
    {
        using var berth = Installation();
        var r = berth.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(expected, r.Stderr);
    }

    public void Dispose() => _tmp.Dispose();
}
