using System.CommandLine;
using Berth.Cli.Commands;

namespace Berth.Cli;

public static class BerthCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("berth: build, run and ship containers");
        root.Subcommands.Add(RuntimeCommand.Create());
        return await root.Parse(args).InvokeAsync();
    }
}
