using System.CommandLine;

namespace Berth.Cli;

/// <summary>Which command a command line names, found before System.CommandLine parses it, as cobra finds it:
/// flags are skipped (with their values), and each word below a command that has subcommands must name one.
/// System.CommandLine would skip an unknown word and match a later one (<c>berth network create</c> ran as
/// <c>berth create</c>'s usage error); docker says the word is no command.</summary>
internal sealed record CommandRoute(IReadOnlyList<Command> Path, string? UnknownWord, bool WantsHelp)
{
    public Command Command => Path[^1];

    /// <summary>Root, or a management command (image, container …): a command that only groups others.</summary>
    public bool IsGroup => Command.Subcommands.Count > 0 && Command.Action is null;

    /// <summary><c>berth container ls</c>, as the user would type it.</summary>
    public string Name => string.Join(' ', Path.Select((c, i) => i == 0 ? "berth" : c.Name));

    public static CommandRoute Of(RootCommand root, IReadOnlyList<string> args)
    {
        var path = new List<Command> { root };
        bool help = false;
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--") break;
            var current = path[^1];
            if (a.Length > 1 && a[0] == '-')
            {
                if (a is "--help" or "-h" or "-?") help = true;
                else if (TakesValue(current, path, a)) i++;
                continue;
            }
            // A leaf command's words are its arguments.
            if (current.Subcommands.Count == 0) break;
            var sub = current.Subcommands.FirstOrDefault(c => c.Name == a || c.Aliases.Contains(a));
            if (sub is null) return new CommandRoute(path, a, help);
            path.Add(sub);
        }
        return new CommandRoute(path, null, help);
    }

    /// <summary>Whether a flag takes the next word as its value: an option of the command or of a parent
    /// (recursive) that is not a bool, written without <c>=</c>.</summary>
    private static bool TakesValue(Command current, List<Command> path, string token)
    {
        if (token.Contains('=')) return false;
        var option = path.SelectMany(c => c == current ? c.Options : c.Options.Where(o => o.Recursive))
            .FirstOrDefault(o => o.Name == token || o.Aliases.Contains(token));
        return option is not null && option.ValueType != typeof(bool);
    }
}
