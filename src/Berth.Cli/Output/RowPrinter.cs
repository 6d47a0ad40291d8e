using System.Text;
using System.Text.Json;

namespace Berth.Cli.Output;

/// <summary>Prints a list command's rows the docker way: the default table, <c>--format json</c> (one object per
/// line), <c>--format 'table {{.A}}\t{{.B}}'</c> or a plain template, and <c>-q</c>.</summary>
public static class RowPrinter
{
    public sealed record Column(string Header, string Field);

    public static void Print(TextWriter output, IReadOnlyList<IReadOnlyDictionary<string, string>> rows, IReadOnlyList<Column> columns, string? format, bool quiet, string quietField)
    {
        if (quiet)
        {
            foreach (var r in rows) output.WriteLine(r[quietField]);
            return;
        }
        if (string.IsNullOrEmpty(format) || format == "table")
        {
            var t = new Table(columns.Select(c => c.Header).ToArray());
            foreach (var r in rows) t.Add(columns.Select(c => r.GetValueOrDefault(c.Field, "")).ToArray());
            output.Write(t.ToString());
            return;
        }
        if (format == "json")
        {
            foreach (var r in rows) output.WriteLine(Json(r));
            return;
        }
        if (GoTemplate.IsTable(format, out var body))
        {
            var headers = new Dictionary<string, string>();
            foreach (var c in columns) headers[c.Field] = c.Header;
            var cells = new List<string[]>();
            string Render(IReadOnlyDictionary<string, string> f) => GoTemplate.Render(body, f, "");
            var headerRow = GoTemplate.Render(body, new Dictionary<string, string>(rows.Count > 0 ? rows[0] : headers)
                .ToDictionary(kv => kv.Key, kv => headers.GetValueOrDefault(kv.Key, kv.Key.ToUpperInvariant())), "");
            cells.Add(headerRow.Split('\t'));
            foreach (var r in rows) cells.Add(Render(r).Split('\t'));
            var t = new Table(cells[0]);
            foreach (var c in cells.Skip(1)) t.Add(c);
            output.Write(t.ToString());
            return;
        }
        foreach (var r in rows) output.WriteLine(GoTemplate.Render(format, r, Json(r)));
    }

    public static string Json(IReadOnlyDictionary<string, string> row)
    {
        var sorted = new Dictionary<string, string>();
        foreach (var kv in row.OrderBy(k => k.Key, StringComparer.Ordinal)) sorted[kv.Key] = kv.Value;
        return JsonSerializer.Serialize(sorted, CliJsonContext.Default.DictionaryStringString);
    }
}
