using System.Globalization;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>Signal names as docker accepts them (<c>TERM</c>, <c>SIGTERM</c>, <c>15</c>).</summary>
public static class Signals
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
        "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
        "WINCH", "IO", "PWR", "SYS",
    ];

    public static int Parse(string s)
    {
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65) return n;
        var name = s.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        var i = Array.IndexOf(Names, name);
        if (i > 0) return i;
        throw BerthException.Invalid($"Invalid signal: {s}");
    }
}
