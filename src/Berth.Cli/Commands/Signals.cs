using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>Signal names as kill(1) spells them, with or without "SIG".</summary>
internal static class Signals
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
        throw BerthException.Invalid($"invalid signal \"{s}\"");
    }

    /// <summary>The number behind a <see cref="PosixSignal"/> (whose named members are negative placeholders).</summary>
    public static int Number(PosixSignal s) => s switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => (int)s,
    };

    public static void Send(int pid, PosixSignal s) => Berth.Runtime.Process.ProcessSignals.Send(pid, Number(s));
}
