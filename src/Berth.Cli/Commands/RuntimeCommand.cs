using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Process;
using Berth.Runtime.Spec;

namespace Berth.Cli.Commands;

/// <summary><c>berth runtime</c>: the OCI runtime command line (create/start/state/kill/delete/run), so a bundle runs
/// the same under berth and under runc.</summary>
internal static class RuntimeCommand
{
    public static Command Create()
    {
        // runc calls this --root; berth's --root is the store's, so the runtime's state directory is --state-root.
        var stateRoot = new Option<string>("--state-root")
        {
            Description = "Directory for container state (default: STATE_DIR/runtime, see --state-dir)",
            Recursive = true,
        };
        var command = new Command("runtime", "Run OCI bundles (the OCI runtime command line)") { stateRoot };
        command.Subcommands.Add(CreateCommand(stateRoot));
        command.Subcommands.Add(StartCommand(stateRoot));
        command.Subcommands.Add(StateCommand(stateRoot));
        command.Subcommands.Add(KillCommand(stateRoot));
        command.Subcommands.Add(DeleteCommand(stateRoot));
        command.Subcommands.Add(RunCommand(stateRoot));
        command.Subcommands.Add(ListCommand(stateRoot));
        command.Subcommands.Add(SpecCommand());
        return command;
    }

    private static ContainerRuntime RuntimeFor(ParseResult r, Option<string> stateRoot)
    {
        var engine = CliContext.OptionsOf(r);
        return new(engine.RuntimeOptions with { StateRoot = r.GetValue(stateRoot) ?? engine.RuntimeStateDir, Warning = m => Error($"warning: {m}") });
    }

    private static Argument<string> IdArgument() => new("container-id") { Description = "The container's ID" };

    private static Option<string> BundleOption() => new("--bundle", "-b")
    {
        Description = "Path to the bundle (the directory holding config.json)",
        DefaultValueFactory = _ => ".",
    };

    private static Option<string?> ConsoleSocketOption() => new("--console-socket")
    {
        Description = "Unix socket to send the pty master to, when the process has a terminal",
    };

    private static Option<string?> PidFileOption() => new("--pid-file") { Description = "File to write the init's PID to" };

    private static Command CreateCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var bundle = BundleOption();
        var consoleSocket = ConsoleSocketOption();
        var pidFile = PidFileOption();
        var command = new Command("create", "Create a container: set everything up and wait for start") { id, bundle, consoleSocket, pidFile };
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            using var container = RuntimeFor(r, stateRoot).Create(r.GetValue(id)!, r.GetValue(bundle)!, new CreateOptions { ConsoleSocket = r.GetValue(consoleSocket) });
            WritePidFile(r.GetValue(pidFile), container.Pid);
            return 0;
        }));
        return command;
    }

    private static Command StartCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var command = new Command("start", "Run the command of a created container") { id };
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            RuntimeFor(r, stateRoot).Start(r.GetValue(id)!);
            return 0;
        }));
        return command;
    }

    private static Command StateCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var command = new Command("state", "Print a container's state (OCI state JSON)") { id };
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            var state = RuntimeFor(r, stateRoot).State(r.GetValue(id)!);
            WriteStdout(RuntimeJson.Serialize(state));
            return 0;
        }));
        return command;
    }

    private static Command ListCommand(Option<string> stateRoot)
    {
        var command = new Command("list", "List containers (OCI state JSON array)");
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            WriteStdout(RuntimeJson.Serialize(RuntimeFor(r, stateRoot).List()));
            return 0;
        }));
        return command;
    }

    private static Command KillCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var signal = new Argument<string>("signal") { Description = "Signal name or number", DefaultValueFactory = _ => "SIGTERM" };
        var all = new Option<bool>("--all", "-a") { Description = "Signal every process in the container" };
        var command = new Command("kill", "Send a signal to a container's init") { id, signal, all };
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            RuntimeFor(r, stateRoot).Kill(r.GetValue(id)!, Signals.Parse(r.GetValue(signal)!), r.GetValue(all));
            return 0;
        }));
        return command;
    }

    private static Command DeleteCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var force = new Option<bool>("--force", "-f") { Description = "Kill the container if it is still running" };
        var command = new Command("delete", "Delete a container and everything it holds") { id, force };
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            RuntimeFor(r, stateRoot).Delete(r.GetValue(id)!, r.GetValue(force));
            return 0;
        }));
        return command;
    }

    private static Command RunCommand(Option<string> stateRoot)
    {
        var id = IdArgument();
        var bundle = BundleOption();
        var consoleSocket = ConsoleSocketOption();
        var pidFile = PidFileOption();
        var detach = new Option<bool>("--detach", "-d") { Description = "Do not wait for the container; leave it running" };
        var command = new Command("run", "Create and start a container, wait for it, delete it; exit with its status")
        {
            id, bundle, consoleSocket, pidFile, detach,
        };
        command.SetAction(async (r, ct) =>
        {
            var runtime = RuntimeFor(r, stateRoot);
            var containerId = r.GetValue(id)!;
            Container container;
            try
            {
                container = runtime.Create(containerId, r.GetValue(bundle)!, new CreateOptions { ConsoleSocket = r.GetValue(consoleSocket) });
            }
            catch (ContainerExecException e)
            {
                Error(e.Message);
                return e.ExitCode;
            }
            catch (BerthException e)
            {
                Error(e.Message);
                return ExitCodes.Usage;
            }

            using (container)
            {
                WritePidFile(r.GetValue(pidFile), container.Pid);
                if (r.GetValue(detach))
                {
                    return Guard(ExitCodes.Usage, () =>
                    {
                        container.Start();
                        return 0;
                    });
                }

                using var terminal = container.Console is { } master ? new TerminalSession(master) : null;
                // Signals to us go to the container (runc's sig-proxy); as PID 1 it ignores the ones it has no
                // handler for, as under Docker.
                var registrations = new List<PosixSignalRegistration>();
                foreach (var s in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT, (PosixSignal)10, (PosixSignal)12 })
                {
                    registrations.Add(PosixSignalRegistration.Create(s, ctx =>
                    {
                        ctx.Cancel = true;
                        Signals.Send(container.Pid, s);
                    }));
                }
                try
                {
                    try
                    {
                        container.Start();
                    }
                    catch (ContainerExecException e)
                    {
                        Error(e.Message);
                        return e.ExitCode;
                    }
                    catch (BerthException e)
                    {
                        Error(e.Message);
                        return ExitCodes.Usage;
                    }
                    // Not the CLI's Ctrl-C token: SIGINT is proxied to the container above, which decides whether
                    // it ends (as with `runc run` and an attached `docker run`).
                    _ = ct;
                    var status = await container.WaitAsync(CancellationToken.None);
                    terminal?.Drain(TimeSpan.FromSeconds(2));
                    return status.ExitCode;
                }
                finally
                {
                    foreach (var reg in registrations) reg.Dispose();
                    try { runtime.Delete(containerId, force: true); }
                    catch (BerthException e) { Error(e.Message); }
                }
            }
        });
        return command;
    }

    private static Command SpecCommand()
    {
        var bundle = BundleOption();
        var command = new Command("spec", "Write a config.json with berth's (Docker's) defaults for a rootfs in the bundle") { bundle };
        var args = new Argument<string[]>("command") { Description = "The command to run (default: sh)", Arity = ArgumentArity.ZeroOrMore };
        var terminal = new Option<bool>("--terminal", "-t") { Description = "Give the process a terminal" };
        command.Arguments.Add(args);
        command.Options.Add(terminal);
        command.SetAction(r => Guard(ExitCodes.Failure, () =>
        {
            var dir = r.GetValue(bundle)!;
            var path = Path.Combine(dir, "config.json");
            if (File.Exists(path)) throw BerthException.Conflict($"{path} already exists");
            var cmd = r.GetValue(args) is { Length: > 0 } a ? a : ["sh"];
            var spec = SpecGenerator.Generate("berth", new ContainerConfig(), new RunOptions { Command = cmd, Terminal = r.GetValue(terminal) }, SpecHost.Detect());
            // A bundle is run under many IDs: leave the cgroup to the runtime's default (/berth/<id>), as runc spec does.
            spec = spec with { Linux = spec.Linux! with { CgroupsPath = null } };
            File.WriteAllBytes(path, RuntimeJson.Serialize(spec));
            return 0;
        }));
        return command;
    }

    private static int Guard(int failureCode, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ContainerExecException e)
        {
            Error(e.Message);
            return e.ExitCode;
        }
        catch (BerthException e)
        {
            Error(e.Message);
            return failureCode;
        }
    }

    private static void WritePidFile(string? path, int pid)
    {
        if (path is null) return;
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, pid.ToString(CultureInfo.InvariantCulture));
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteStdout(byte[] json)
    {
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(json);
        stdout.Write("\n"u8);
    }

    private static void Error(string message) => Console.Error.WriteLine($"berth: {message}");
}
