using Berth.Engine.Images;

namespace Berth.Cli.Commands;

/// <summary>Pull and push progress as the docker CLI shows it (moby's jsonmessage): on a terminal, one line per
/// layer rewritten in place (ANSI cursor up/down, erase line) with a bar and byte counts; otherwise plain lines,
/// without the byte updates.</summary>
internal static class ProgressPrinter
{
    /// <summary>The printer for <paramref name="output"/>: live lines when it is the terminal.</summary>
    public static IProgress<PullProgress> For(TextWriter output, bool isError = false)
    {
        bool terminal = isError ? !Console.IsErrorRedirected : !Console.IsOutputRedirected;
        return terminal ? new TerminalPrinter(output, TerminalWidth()) : new LinePrinter(output);
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}

/// <summary>Plain lines (<c>ID: Status</c>); byte updates are left out, as docker leaves them out when its output is
/// not a terminal.</summary>
internal sealed class LinePrinter(TextWriter output) : IProgress<PullProgress>
{
    private readonly Lock _gate = new();

    public void Report(PullProgress value)
    {
        if (value.Current is not null) return;
        lock (_gate) output.WriteLine(value.Id is null ? value.Status : $"{value.Id}: {value.Status}");
    }
}

/// <summary>docker's terminal display: each layer ID gets a line the first time it is seen; a later message for it
/// moves the cursor up to that line, erases it, writes <c>ID: Status [====&gt;   ] 1.2MB/3.4MB</c> and moves back
/// down. A message without an ID is printed below and starts a new group (as <c>pull -a</c>'s next tag).</summary>
/// <see href="https://github.com/moby/moby/blob/master/pkg/jsonmessage/jsonmessage.go"/>
internal sealed class TerminalPrinter(TextWriter output, int width) : IProgress<PullProgress>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public void Report(PullProgress value)
    {
        lock (_gate)
        {
            if (value.Id is null)
            {
                _lines.Clear();
                output.Write($"\x1b[2K\r{value.Status}\n");
                output.Flush();
                return;
            }
            if (!_lines.TryGetValue(value.Id, out int line))
            {
                line = _lines.Count;
                _lines[value.Id] = line;
                output.Write('\n');
            }
            int up = _lines.Count - line;
            output.Write($"\x1b[{up}A\x1b[2K\r{value.Id}: {value.Status}");
            string bar = Bar(value.Current ?? 0, value.Total ?? 0, width);
            if (bar.Length > 0) output.Write($" {bar}");
            output.Write($"\r\x1b[{up}B");
            output.Flush();
        }
    }

    /// <summary>moby's JSONProgress.String: a 50-column bar when the terminal is wider than 110 columns, then
    /// <c>current/total</c> in decimal units.</summary>
    internal static string Bar(long current, long total, int width)
    {
        if (current <= 0 && total <= 0) return "";
        if (total <= 0) return $"{HumanSize(current),8}";
        int percentage = Math.Min(50, (int)(current * 100.0 / total) / 2);
        string box = width > 110 ? $"[{new string('=', percentage)}>{new string(' ', 50 - percentage)}] " : "";
        string numbers = current > total ? $"{HumanSize(current),8}" : $"{HumanSize(current),8}/{HumanSize(total)}";
        return box + numbers;
    }

    /// <summary>docker/go-units HumanSize: decimal units, four significant digits (<c>1.234MB</c>, <c>512B</c>).</summary>
    internal static string HumanSize(double size)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        int i = 0;
        while (size >= 1000 && i < units.Length - 1)
        {
            size /= 1000;
            i++;
        }
        return size.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + units[i];
    }
}
