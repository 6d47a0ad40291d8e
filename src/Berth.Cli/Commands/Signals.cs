using System.Runtime.InteropServices;

namespace Berth.Cli.Commands;

/// <summary>Signals for the runtime commands: parsing is the engine's, sending the runtime's.</summary>
internal static class Signals
{
    /// <summary>A signal by name or number, as docker and kill(1) accept it; one table for the whole CLI.</summary>
    public static int Parse(string s) => Engine.Containers.Signals.Parse(s);

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
