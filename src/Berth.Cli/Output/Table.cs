using System.Text;

namespace Berth.Cli.Output;

/// <summary>Columns laid out as Go's tabwriter does for docker (minimum width 10, padding 3; <c>top</c> uses 20).</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public int MinWidth { get; init; } = 10;

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        var all = new List<string[]> { headers };
        all.AddRange(_rows);
        var widths = new int[headers.Length];
        foreach (var row in all)
            for (int i = 0; i < row.Length - 1 && i < widths.Length; i++)
                widths[i] = Math.Max(widths[i], Math.Max(row[i].Length + 3, MinWidth));
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            for (int i = 0; i < row.Length; i++)
                sb.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i]));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
