using System.CommandLine;
using System.Text;

namespace Berth.Cli.Output;

/// <summary>docker's help for the root and for management commands: commands in groups (Common Commands,
/// Management Commands, Commands), names padded as cobra pads them, then the global options.</summary>
internal static class GroupHelp
{
    /// <summary>docker's "Common Commands", in docker's order, as far as berth has them.</summary>
    private static readonly string[] Common = ["run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version", "info"];

    public static string Root(RootCommand root)
    {
        var visible = root.Subcommands.Where(c => !c.Hidden).ToList();
        int pad = Padding(visible);
        var text = new StringBuilder();
        text.Append("Usage:  berth [OPTIONS] COMMAND\n\n");
        text.Append(root.Description).Append("\n\n");
        var common = Common.Select(n => visible.FirstOrDefault(c => c.Name == n)).OfType<Command>().ToList();
        Group(text, "Common Commands", common, pad);
        var management = visible.Where(IsGroup).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        Group(text, "Management Commands", management, pad);
        var rest = visible.Where(c => !IsGroup(c) && !common.Contains(c)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        Group(text, "Commands", rest, pad);
        text.Append("Global Options:\n");
        var options = root.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption).ToList();
        var heads = options.Select(OptionHead).ToList();
        int width = heads.Max(h => h.Length) + 3;
        for (int i = 0; i < options.Count; i++)
            text.Append(heads[i].PadRight(width)).Append(options[i].Description).Append('\n');
        text.Append("\nRun 'berth COMMAND --help' for more information on a command.\n");
        return text.ToString();
    }

    public static string Management(Command command, string name)
    {
        var visible = command.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        text.Append($"Usage:  {name} COMMAND\n\n");
        text.Append(command.Description).Append("\n\n");
        Group(text, "Commands", visible, Padding(visible));
        text.Append($"Run '{name} COMMAND --help' for more information on a command.\n");
        return text.ToString();
    }

    private static bool IsGroup(Command c) => c.Subcommands.Count > 0 && c.Action is null;

    /// <summary>cobra: names padded to the longest name, at least 11, then one space.</summary>
    private static int Padding(IEnumerable<Command> commands) => Math.Max(11, commands.Select(c => c.Name.Length).DefaultIfEmpty(0).Max()) + 1;

    private static void Group(StringBuilder text, string title, IReadOnlyList<Command> commands, int pad)
    {
        if (commands.Count == 0) return;
        text.Append(title).Append(":\n");
        // The first line only: a command's own --help shows the rest (where its configuration lives).
        foreach (var c in commands) text.Append("  ").Append(c.Name.PadRight(pad)).Append(c.Description?.Split('\n')[0]).Append('\n');
        text.Append('\n');
    }

    /// <summary><c>  -l, --log-level string</c>, as pflag prints an option.</summary>
    private static string OptionHead(Option o)
    {
        var shortName = o.Aliases.Concat([o.Name]).FirstOrDefault(a => a.Length == 2 && a[0] == '-');
        var longName = new[] { o.Name }.Concat(o.Aliases).First(a => a.StartsWith("--", StringComparison.Ordinal));
        var type = o.ValueType == typeof(bool) ? "" : " string";
        return (shortName is null ? "      " : $"  {shortName}, ") + longName + type;
    }
}
