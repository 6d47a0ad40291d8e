// berth: one native binary, several roles. The role is chosen before anything else starts so that the
// container init path stays small (see DESIGN.md § Runtime).
if (Berth.Oci.Diagnostics.Timeline.Enabled) Berth.Oci.Diagnostics.Timeline.Mark("main " + string.Join(' ', args));
if (args is ["init", ..]) return Berth.Runtime.Init.ContainerInit.Run(args);
if (args is [Berth.Engine.Containers.ContainerMonitor.Role, ..]) return Berth.Engine.Containers.ContainerMonitor.Run(args);
if (args is [Berth.Engine.Networks.NetworkResolver.Role, ..]) return Berth.Engine.Networks.NetworkResolver.Run(args);
if (args is [DaemonRole, ..]) return ExecDaemon(args[1..]);
return await Berth.Cli.BerthCli.RunAsync(args, a => Task.FromResult(ExecDaemon(a)));

// berth daemon ARGS: the Engine API server is an executable of its own beside this one (berth-daemon, in
// src/Berth.Daemon), so that ASP.NET Core is in none of this executable's starts. Replaces this process (same PID,
// so a socket-activated daemon keeps its LISTEN_PID); returns only when it cannot.
static int ExecDaemon(string[] args)
{
    var dir = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
    var daemon = Path.Combine(dir, DaemonExecutable);
    if (!File.Exists(daemon))
    {
        Console.Error.WriteLine($"berth daemon: {daemon} not found: the Engine API server is installed beside berth (make install)");
        return 1;
    }
    Console.Error.WriteLine($"berth daemon: {Berth.Runtime.Process.ProcessLauncher.Exec(daemon, [DaemonExecutable, .. args], [])}");
    return 1;
}

internal partial class Program
{
    private const string DaemonRole = "daemon";
    private const string DaemonExecutable = "berth-daemon";
}
