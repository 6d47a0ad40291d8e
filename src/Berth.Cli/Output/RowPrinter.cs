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
            var template = GoTemplate.Parse(body);
            // The header row is the template run over the column titles (docker's header context).
            var headers = new Dictionary<string, string>();
            foreach (var kv in rows.Count > 0 ? rows[0] : new Dictionary<string, string>()) headers[kv.Key] = kv.Key.ToUpperInvariant();
            foreach (var c in columns) headers[c.Field] = c.Header;
            var cells = new List<string[]> { Render(template, headers, header: true).Split('\t') };
            foreach (var r in rows) cells.Add(Render(template, r, header: false).Split('\t'));
            var t = new Table(cells[0]);
            foreach (var c in cells.Skip(1)) t.Add(c);
            output.Write(t.ToString());
            return;
        }
        var plain = GoTemplate.Parse(format);
        foreach (var r in rows) output.WriteLine(Render(plain, r, header: false));
    }

    /// <summary>Runs the template over one row; docker's rows have a <c>Label</c> method reading one label out of
    /// their "k=v,…" Labels.</summary>
    private static string Render(GoTemplate template, IReadOnlyDictionary<string, string> row, bool header) =>
        template.Execute(Json(row), (string name, IReadOnlyList<object?> args, out object? result) =>
        {
            result = null;
            if (name != "Label" || args.Count != 1) return false;
            if (header)
            {
                result = "LABEL";
                return true;
            }
            var key = args[0]?.ToString() ?? "";
            foreach (var pair in row.GetValueOrDefault("Labels", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if ((eq < 0 ? pair : pair[..eq]) == key) result = eq < 0 ? "" : pair[(eq + 1)..];
            }
            result ??= "";
            return true;
        });

    /// <summary>A row as docker's <c>--format json</c> prints it: one object, keys in order, Go's escaping.</summary>
    public static string Json(IReadOnlyDictionary<string, string> row)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, GoTemplate.JsonOptions))
        {
            writer.WriteStartObject();
            foreach (var kv in row.OrderBy(k => k.Key, StringComparer.Ordinal)) writer.WriteString(kv.Key, kv.Value);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
