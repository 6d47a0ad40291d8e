using System.CommandLine;
using Berth.Engine.Images;
using Berth.Oci.Errors;
using Berth.Storage;

namespace Berth.Cli;

/// <summary>What every command needs: the store root from <c>--root</c>/<c>BERTH_ROOT</c>, opened lazily so
/// <c>--help</c> and usage errors never touch it, and the engine services over it.</summary>
internal sealed class CliContext : IDisposable
{
    public static readonly Option<string> RootOption = new("--root")
    {
        Description = "Root of the berth store (env BERTH_ROOT)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("BERTH_ROOT") is { Length: > 0 } r ? r : "/var/lib/berth",
    };

    public static readonly Option<string> LogLevelOption = new("--log-level", "-l")
    {
        Description = "Set the logging level (debug, info, warn, error, fatal)",
        Recursive = true,
        DefaultValueFactory = _ => "warn",
    };

    private Store? _store;
    private ImageService? _images;

    private CliContext(ParseResult parse)
    {
        Root = Path.GetFullPath(parse.GetValue(RootOption)!);
        LogLevel = parse.GetValue(LogLevelOption)!;
    }

    public string Root { get; }
    public string LogLevel { get; }
    public TextWriter Out { get; } = Console.Out;
    public TextWriter Err { get; } = Console.Error;

    public Store Store => _store ??= Store.Open(Root);
    public ImageService Images => _images ??= Engine.Containers.ContainerService.Attach(new ImageService(Store, TimeProvider.System) { ExtraRoots = () => Engine.Builds.BuildService.CacheRoots(Store) });

    public void Debug(string message)
    {
        if (LogLevel == "debug") Err.WriteLine($"DEBU {message}");
    }

    /// <summary>Runs a command body and maps failures to docker's exit codes and messages, once, here.</summary>
    public static Action<Command> Bind(Func<CliContext, ParseResult, CancellationToken, int> body) => command =>
        command.SetAction((parse, ct) =>
        {
            using var ctx = new CliContext(parse);
            try
            {
                return Task.FromResult(body(ctx, parse, ct));
            }
            catch (BerthException e)
            {
                ctx.Err.WriteLine($"Error: {e.Message}");
                if (ctx.LogLevel == "debug") ctx.Err.WriteLine(e);
                return Task.FromResult(ExitCodes.For(e.Kind));
            }
            catch (Output.TemplateException e)
            {
                // docker: a malformed --format is a usage error (64), one that fails on the data exits 1.
                ctx.Err.WriteLine($"template parsing error: {e.Message}");
                return Task.FromResult(e.IsParse ? ExitCodes.BadTemplate : ExitCodes.Failure);
            }
            catch (OperationCanceledException)
            {
                return Task.FromResult(ExitCodes.Interrupted);
            }
            catch (IOException e)
            {
                ctx.Err.WriteLine($"Error: {e.Message}");
                return Task.FromResult(ExitCodes.Failure);
            }
            catch (UnauthorizedAccessException e)
            {
                ctx.Err.WriteLine($"Error: {e.Message}");
                return Task.FromResult(ExitCodes.Failure);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug, not a user error: say so, with the stack when asked for.
                ctx.Err.WriteLine($"Error: internal error: {e.GetType().Name}: {e.Message}");
                if (ctx.LogLevel == "debug") ctx.Err.WriteLine(e);
                return Task.FromResult(ExitCodes.Failure);
            }
        });

    public void Dispose() => _store?.Dispose();
}
