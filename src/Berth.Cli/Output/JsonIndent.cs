using System.Text;

namespace Berth.Cli.Output;

/// <summary>Go's <c>json.Indent</c>: re-indents JSON text without re-encoding it, so keys keep their order and
/// strings their escapes (<c>docker manifest inspect</c> prints a registry's bytes this way). The input must be
/// valid JSON (checked by the caller's parse).</summary>
internal static class JsonIndent
{
    public static string Indent(ReadOnlySpan<byte> json, string indent = "\t")
    {
        var text = Encoding.UTF8.GetString(json);
        var sb = new StringBuilder(text.Length * 2);
        int depth = 0;
        bool inString = false, needIndent = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c is ' ' or '\t' or '\n' or '\r') continue;
            if (needIndent && c is not (']' or '}'))
            {
                needIndent = false;
                depth++;
                NewLine(sb, depth, indent);
            }
            switch (c)
            {
                case '"':
                    inString = true;
                    sb.Append(c);
                    break;
                case '{' or '[':
                    sb.Append(c);
                    needIndent = true; // an empty {} or [] stays on one line, as Go's
                    break;
                case ',':
                    sb.Append(c);
                    NewLine(sb, depth, indent);
                    break;
                case ':':
                    sb.Append(": ");
                    break;
                case '}' or ']':
                    if (needIndent) needIndent = false;
                    else
                    {
                        depth--;
                        NewLine(sb, depth, indent);
                    }
                    sb.Append(c);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static void NewLine(StringBuilder sb, int depth, string indent)
    {
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }
}
