using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Cli.Output;

/// <summary>The part of docker's <c>--format</c> Go templates that scripts use: <c>{{.Field}}</c>,
/// <c>{{json .}}</c>, <c>{{json .Field}}</c>, <c>{{.Field.Sub}}</c>, and a leading <c>table</c> for headed columns.
/// Fields come from a flat dictionary (nested with dots), as the row objects docker formats.</summary>
public static partial class GoTemplate
{
    public static string Render(string template, IReadOnlyDictionary<string, string> fields, string jsonOfDot, IReadOnlyDictionary<string, string>? rawJson = null)
    {
        template = template.Replace("\\t", "\t").Replace("\\n", "\n");
        return Action().Replace(template, m =>
        {
            var expr = m.Groups[1].Value.Trim();
            if (expr == "json .") return jsonOfDot;
            if (expr.StartsWith("json .", StringComparison.Ordinal))
                return rawJson is not null ? rawJson.GetValueOrDefault(expr[6..], "null")
                    : fields.TryGetValue(expr[6..], out var jv) ? System.Text.Json.JsonSerializer.Serialize(jv, CliJsonContext.Default.String) : "null";
            if (expr == ".") return jsonOfDot;
            if (expr.StartsWith('.')) return fields.TryGetValue(expr[1..], out var v) ? v : "<no value>";
            throw new FormatException($"template: unsupported action {{{{{expr}}}}}");
        });
    }

    /// <summary>True when the format asks for docker's table layout (<c>table {{.A}}\t{{.B}}</c>).</summary>
    public static bool IsTable(string format, out string body)
    {
        body = format.StartsWith("table", StringComparison.Ordinal) ? format[5..].TrimStart() : format;
        return format.StartsWith("table", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\{\{-?\s*(.*?)\s*-?\}\}")]
    private static partial Regex Action();
}
