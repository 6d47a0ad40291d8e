using System.CommandLine;

namespace Berth.Cli;

public static class BerthCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("berth: build, run and ship containers");
        return await root.Parse(args).InvokeAsync();
    }
}
