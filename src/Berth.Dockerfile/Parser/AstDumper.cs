using System.Globalization;
using System.Text;

namespace Berth.Dockerfile.Parser;

/// <summary>
/// Prints an AST as BuildKit's <c>Node.Dump</c> does, the format of the golden <c>result</c> files
/// (tests/conformance/dockerfile-parser/FORMAT.md): one <c>(instruction ["flags"] "arg"...)</c> line per
/// instruction, strings quoted as Go's <c>strconv.Quote</c>.
/// </summary>
public static class AstDumper
{
    public static string Dump(Node node)
    {
        var sb = new StringBuilder();
        sb.Append(node.Value.ToLowerInvariant());
        if (node.Flags.Count > 0)
        {
            sb.Append(" [");
            for (var i = 0; i < node.Flags.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(' ');
                }
                sb.Append(GoQuote(node.Flags[i]));
            }
            sb.Append(']');
        }
        foreach (var c in node.Children)
        {
            sb.Append('(').Append(Dump(c)).Append(")\n");
        }
        for (var n = node.Next; n is not null; n = n.Next)
        {
            sb.Append(' ');
            sb.Append(n.Children.Count > 0 ? Dump(n) : GoQuote(n.Value));
        }
        return sb.ToString().Trim();
    }

    /// <summary>Go's <c>strconv.Quote</c>: printable runes as is, others escaped.</summary>
    public static string GoQuote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        for (var i = 0; i < s.Length;)
        {
            if (Rune.DecodeFromUtf16(s.AsSpan(i), out var r, out var used) != System.Buffers.OperationStatus.Done)
            {
                // An unpaired surrogate: Go would see invalid UTF-8; print its code unit.
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)s[i]:x4}");
                i++;
                continue;
            }
            i += used;
            var v = r.Value;
            switch (v)
            {
                case '"':
                    sb.Append("\\\"");
                    continue;
                case '\\':
                    sb.Append("\\\\");
                    continue;
            }
            if (IsPrint(r))
            {
                sb.Append(r);
                continue;
            }
            switch (v)
            {
                case 0x07: sb.Append("\\a"); break;
                case 0x08: sb.Append("\\b"); break;
                case 0x0C: sb.Append("\\f"); break;
                case 0x0A: sb.Append("\\n"); break;
                case 0x0D: sb.Append("\\r"); break;
                case 0x09: sb.Append("\\t"); break;
                case 0x0B: sb.Append("\\v"); break;
                default:
                    if (v < 0x20 || v == 0x7F)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{v:x2}");
                    }
                    else if (v <= 0xFFFF)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{v:x4}");
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\U{v:x8}");
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    // Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, and the ASCII space only.
    private static bool IsPrint(Rune r)
    {
        if (r.Value == ' ')
        {
            return true;
        }
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => true,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => true,
            _ => false,
        };
    }
}
