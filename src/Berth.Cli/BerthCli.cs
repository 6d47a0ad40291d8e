using System.CommandLine;
using Berth.Cli.Commands;
using Berth.Cli.Output;

namespace Berth.Cli;

public static class BerthCli
{
    /// <param name="daemon">The <c>daemon</c> role (the Engine API server, which this layer does not reference),
    /// given its own arguments: <c>berth [--root R] [--state-dir S] daemon ARGS</c> runs it as <c>berth daemon
    /// --root R --state-dir S ARGS</c>, and the root help lists it with the other commands.</param>
    public static async Task<int> RunAsync(string[] args, Func<string[], Task<int>>? daemon = null)
    {
        var root = new RootCommand("berth: build, run and ship containers");
        root.Options.Add(CliContext.RootOption);
        root.Options.Add(CliContext.StateDirOption);
        root.Options.Add(CliContext.LogLevelOption);
        foreach (var c in ImageCommands.Create()) root.Subcommands.Add(c);
        foreach (var c in RegistryCommands.Create()) root.Subcommands.Add(c);
        root.Subcommands.Add(SystemCommands.Create());
        root.Subcommands.Add(EventsCommand.Create());
        foreach (var c in BuildCommand.Create()) root.Subcommands.Add(c);
        root.Subcommands.Add(RuntimeCommand.Create());
        args = ContainerCommands.Register(root, args);
        root.Subcommands.Add(VolumeCommands.Create());
        root.Subcommands.Add(NetworkCommands.Create());
        root.Subcommands.Add(CompletionCommand.Create());
        if (daemon is not null) root.Subcommands.Add(DaemonCommand(args, daemon));
        root.Subcommands.Add(VersionCommands.Version());
        root.Subcommands.Add(VersionCommands.Info());
        root.Subcommands.First(c => c.Name == "system").Subcommands.Add(VersionCommands.Info());
        // docker's -v, --version: one line, no store.
        var versionOption = root.Options.OfType<VersionOption>().First();
        root.Options.Remove(versionOption);
        root.Options.Add(new Option<bool>("--version", "-v") { Description = "Print version information and quit" });
        // docker's management-command spellings of top-level commands.
        root.Subcommands.First(c => c.Name == "image").Subcommands.Add(BuildCommand.Build());
        root.Subcommands.First(c => c.Name == "builder").Subcommands.Add(BuildCommand.Build());
        // Every integer flag reads and refuses values as docker's (Go's strconv), with docker's message.
        FlagParsers.Install(root);

        var route = CommandRoute.Of(root, args);
        if (route.UnknownWord is { } word)
        {
            // docker 28's words; a missing command asked for --help is an error too, so it never looks present.
            Console.Error.WriteLine($"berth: unknown command: {route.Name} {word}\n");
            if (route.Path.Count > 1) Console.Error.WriteLine($"Usage:  {route.Name}\n");
            Console.Error.WriteLine($"Run '{route.Name} --help' for more information");
            return ExitCodes.Failure;
        }
        if (route.Path.Count == 1 && args.TakeWhile(a => a != "--").Any(a => a is "--version" or "-v"))
        {
            Console.Out.WriteLine(VersionCommands.Short());
            return ExitCodes.Success;
        }
        if (route.IsGroup)
        {
            // berth, berth container, berth image --help: the commands in groups, as docker prints them.
            Console.Out.Write(route.Path.Count == 1 ? GroupHelp.Root(root) : GroupHelp.Management(route.Command, route.Name));
            return ExitCodes.Success;
        }

        var parse = root.Parse(args);
        var errors = parse.Errors.Select(e => e.Message).ToList();
        if (parse.CommandResult.Command.Name != "daemon" && UnknownFlag(parse) is { } flag) errors.Insert(0, $"unknown flag: {flag}");
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"berth: {e}");
            Console.Error.WriteLine($"See '{string.Join(' ', CommandPath(parse.CommandResult.Command, root))} --help'.");
            return ExitCodes.Usage;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
    }

    private static Command DaemonCommand(string[] args, Func<string[], Task<int>> daemon)
    {
        var command = new Command("daemon", "Serve the Docker Engine API on a socket, for docker, compose and the SDKs (berth daemon --help)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Arguments.Add(new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore, Hidden = true });
        command.SetAction(parse =>
        {
            var own = args.SkipWhile(a => a != "daemon").Skip(1).ToList();
            if (parse.GetValue(CliContext.RootOption) is { Length: > 0 } r) own.InsertRange(0, ["--root", r]);
            if (parse.GetValue(CliContext.StateDirOption) is { Length: > 0 } s) own.InsertRange(0, ["--state-dir", s]);
            return daemon([.. own]).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>Docker stops reading flags at the first positional argument; before it, a dash-word that is no
    /// known option is an error, not an argument.</summary>
    private static string? UnknownFlag(ParseResult parse)
    {
        var first = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>()
            .SelectMany(a => a.Tokens).FirstOrDefault();
        return first is { Value: { Length: > 1 } v } && v[0] == '-' ? v : null;
    }

    private static IEnumerable<string> CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c == root ? "berth" : c.Name);
        return names;
    }
}
