using System.CommandLine;
using Berth.Engine;
using Berth.Oci.Errors;

namespace Berth.Api;

/// <summary>The <c>daemon</c> role of the berth executable: <c>berth daemon [-H unix:///PATH|tcp://ADDR:PORT|fd://]
/// [--log-level LEVEL] [--root DIR] [--state-dir DIR] [--group NAME]</c>, dockerd's flags where dockerd has them.
/// Stops cleanly on SIGTERM or SIGINT: requests in flight finish, streams end, the socket is removed; containers
/// keep running under their monitors.</summary>
public static class Daemon
{
    public const string Role = "daemon";

    public static async Task<int> RunAsync(string[] args)
    {
        var hosts = new Option<string[]>("--host", "-H") { Description = "Daemon socket(s) to connect to (unix://PATH, tcp://127.0.0.1:PORT, fd://)", AllowMultipleArgumentsPerToken = false };
        var logLevel = new Option<string>("--log-level", "-l") { Description = "Set the logging level (debug, info, warn, error, fatal)", DefaultValueFactory = _ => "info" };
        var root = new Option<string>("--root", "--data-root") { Description = $"Root of the berth store (env {EngineOptions.RootVariable}, default {EngineOptions.DefaultRoot})" };
        var stateDir = new Option<string>("--state-dir", "--exec-root") { Description = $"Run state directory (env {EngineOptions.StateDirVariable}, default {EngineOptions.DefaultStateDir})" };
        var group = new Option<string>("--group", "-G") { Description = "Group for the unix socket (default berth)", DefaultValueFactory = _ => "berth" };
        var command = new RootCommand("berth daemon: the Docker Engine API on a socket, from berth's engine") { hosts, logLevel, root, stateDir, group };
        command.SetAction(async (p, ct) =>
        {
            try
            {
                var env = EngineOptions.FromEnvironment();
                var engine = env with
                {
                    Root = p.GetValue(root) is { Length: > 0 } r ? Path.GetFullPath(r) : env.Root,
                    StateDir = p.GetValue(stateDir) is { Length: > 0 } s ? Path.GetFullPath(s) : env.StateDir,
                    ReapMonitors = true,
                    Executable = env.Executable ?? BerthExecutable(),
                };
                var level = p.GetValue(logLevel)!;
                ApiServer.LevelOf(level);
                if (!Environment.IsPrivilegedProcess)
                    throw new BerthException(ErrorKind.PermissionDenied, "berth daemon needs root privileges (rootless mode is not supported yet)");
                var options = new DaemonOptions { Engine = engine, Hosts = p.GetValue(hosts) ?? [], LogLevel = level, SocketGroup = p.GetValue(group)! };
                return await new ApiServer(options).RunAsync(ct);
            }
            catch (BerthException e)
            {
                await Console.Error.WriteLineAsync($"berth daemon: {e.Message}");
                return e.Kind == ErrorKind.InvalidArgument ? 125 : 1;
            }
        });
        var parse = command.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // dockerd's usage errors: the reason, where to look, exit 125 (as the CLI's).
            foreach (var e in parse.Errors) await Console.Error.WriteLineAsync($"berth daemon: {e.Message}");
            await Console.Error.WriteLineAsync("See 'berth daemon --help'.");
            return 125;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>The berth executable that runs containers for the daemon (their monitors, inits and health probes):
    /// the one beside this executable (berth-daemon is installed next to berth, which execs it for
    /// <c>berth daemon</c>).</summary>
    private static string BerthExecutable()
    {
        var self = Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth-daemon executable");
        var berth = Path.Combine(Path.GetDirectoryName(self)!, BerthName);
        if (!File.Exists(berth))
            throw new BerthException(ErrorKind.NotFound, $"{berth} not found: berth-daemon runs containers with the berth executable installed beside it");
        return berth;
    }

    /// <summary>The file names of the two executables, installed side by side.</summary>
    public const string BerthName = "berth";
    public const string ExecutableName = "berth-daemon";
}
