using System.CommandLine;
using Berth.Engine;
using Berth.Engine.Builds;
using Berth.Engine.Containers;
using Berth.Engine.Images;
using Berth.Oci.Errors;
using Berth.Storage;

namespace Berth.Cli;

/// <summary>What every command needs: the engine (<see cref="BerthEngine"/>) built from <c>--root</c>,
/// <c>--state-dir</c> and the environment, its store opened lazily so <c>--help</c> and usage errors never touch
/// it.</summary>
internal sealed class CliContext : IDisposable
{
    public static readonly Option<string> RootOption = new("--root")
    {
        Description = $"Root of the berth store, what survives a reboot (env {EngineOptions.RootVariable}, default {EngineOptions.DefaultRoot})",
        Recursive = true,
    };

    public static readonly Option<string> StateDirOption = new("--state-dir")
    {
        Description = $"Directory of run state that dies with a boot: runtime state, attach sockets, caches " +
            $"(env {EngineOptions.StateDirVariable}, default {EngineOptions.DefaultStateDir}); containers' cgroups go under " +
            $"env {EngineOptions.CgroupParentVariable} (default {EngineOptions.DefaultCgroupParent})",
        Recursive = true,
    };

    public static readonly Option<string> LogLevelOption = new("--log-level", "-l")
    {
        Description = "Set the logging level (debug, info, warn, error, fatal)",
        Recursive = true,
        DefaultValueFactory = _ => "warn",
    };

    private CliContext(ParseResult parse)
    {
        Engine = new BerthEngine(OptionsOf(parse));
        LogLevel = parse.GetValue(LogLevelOption)!;
    }

    /// <summary>The engine's options: the flags, else the environment, else the defaults.</summary>
    public static EngineOptions OptionsOf(ParseResult parse)
    {
        var options = EngineOptions.FromEnvironment();
        if (parse.GetValue(RootOption) is { Length: > 0 } root) options = options with { Root = Path.GetFullPath(root) };
        if (parse.GetValue(StateDirOption) is { Length: > 0 } state) options = options with { StateDir = Path.GetFullPath(state) };
        return options;
    }

    public BerthEngine Engine { get; }
    public string Root => Engine.Options.Root;
    public string LogLevel { get; }
    public TextWriter Out { get; } = Console.Out;
    public TextWriter Err { get; } = Console.Error;

    public Store Store => Engine.Store;
    public ImageService Images => Engine.Images;
    public ContainerService Containers => Engine.Containers;
    public BuildService Builds => Engine.Builds;

    public void Debug(string message)
    {
        if (LogLevel == "debug") Err.WriteLine($"DEBU {message}");
    }

    /// <summary>Runs a command body and maps failures to docker's exit codes and messages, once, here.</summary>
    public static Action<Command> Bind(Func<CliContext, ParseResult, CancellationToken, int> body) => command =>
        command.SetAction((parse, ct) => RunAsync(parse, ctx => Task.FromResult(body(ctx, parse, ct))));

    /// <summary><see cref="Bind"/> for commands whose engine calls are asynchronous (registry I/O).</summary>
    public static Action<Command> BindAsync(Func<CliContext, ParseResult, CancellationToken, Task<int>> body) => command =>
        command.SetAction((parse, ct) => RunAsync(parse, ctx => body(ctx, parse, ct)));

    private static async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task<int>> body)
    {
        using var ctx = new CliContext(parse);
        try
        {
            return await body(ctx);
        }
        catch (BerthException e)
        {
            ctx.Err.WriteLine($"Error: {e.Message}");
            if (ctx.LogLevel == "debug") ctx.Err.WriteLine(e);
            return ExitCodes.For(e.Kind);
        }
        catch (Output.TemplateException e)
        {
            // docker: a malformed --format is a usage error (64), one that fails on the data exits 1.
            ctx.Err.WriteLine($"template parsing error: {e.Message}");
            return e.IsParse ? ExitCodes.BadTemplate : ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
        catch (IOException e)
        {
            ctx.Err.WriteLine($"Error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (UnauthorizedAccessException e)
        {
            ctx.Err.WriteLine($"Error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug, not a user error: say so, with the stack when asked for.
            ctx.Err.WriteLine($"Error: internal error: {e.GetType().Name}: {e.Message}");
            if (ctx.LogLevel == "debug") ctx.Err.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    public void Dispose() => Engine.Dispose();
}
