using System.CommandLine;
using System.Globalization;
using Berth.Archive;
using Berth.Build;
using Berth.Build.Progress;
using Berth.Cli.Output;
using Berth.Dockerfile.Instructions;
using Berth.Engine.Builds;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary><c>berth build</c> (docker build's flags) and <c>berth builder prune|du</c>.</summary>
internal static class BuildCommand
{
    public static IEnumerable<Command> Create() => [Build(), Builder()];

    internal static Command Build()
    {
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag (name:tag); may be repeated", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (default: PATH/Dockerfile; - reads it from stdin)" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set build-time variables (KEY=VALUE, or KEY to take it from the environment)" };
        var target = new Option<string?>("--target") { Description = "Set the target build stage to build" };
        var labels = new Option<string[]>("--label") { Description = "Set metadata for an image (KEY=VALUE)" };
        var iidfile = new Option<string?>("--iidfile") { Description = "Write the image ID to the file" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print image ID on success" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
        var pull = new Option<bool>("--pull") { Description = "Always attempt to pull all referenced images" };
        var noCacheFilter = new Option<string[]>("--no-cache-filter") { Description = "Do not cache the named stages (STAGE[,STAGE]; may be repeated)" };
        var outputOption = new Option<string?>("--output", "-o") { Description = "Also write the result: type=oci|docker|tar|local,dest=PATH (dest=- for stdout)" };
        var progress = new Option<string>("--progress") { Description = "Set type of progress output (auto, plain, tty, quiet)", DefaultValueFactory = _ => "auto" };
        // A value the flag does not take is a usage error (125), found by the parser, as docker's flag errors.
        progress.Validators.Add(r =>
        {
            if (r.Tokens is [{ Value: var v }] && v is not ("auto" or "plain" or "tty" or "quiet" or "rawjson"))
                r.AddError($"invalid argument \"{v}\" for \"--progress\" flag: must be one of auto, plain, tty, quiet, rawjson");
        });
        var network = new Option<string>("--network") { Description = "Networking mode for the RUN instructions (none, host)", DefaultValueFactory = _ => "default" };
        var secrets = new Option<string[]>("--secret") { Description = "Secret to expose to the build (id=mysecret,src=/local/secret)" };
        var context = new Argument<string>("PATH | -") { Description = "The build context: a directory, or - for a tar on stdin" };
        var c = new Command("build", "Build an image from a Dockerfile")
        {
            tags, file, buildArgs, target, labels, iidfile, quiet, noCache, pull, noCacheFilter, outputOption, progress, network, secrets, context,
        };
        CliContext.Bind((ctx, p, ct) =>
        {
            var mode = p.GetValue(quiet) ? "quiet" : p.GetValue(progress)!;
            var tagList = (p.GetValue(tags) ?? []).ToList();
            foreach (var t in tagList)
                if (!ImageReference.TryParse(t, out var r, out var why) || r!.Digest is not null)
                    throw BerthException.Invalid($"invalid tag \"{t}\": {why}");
            var net = p.GetValue(network)! switch
            {
                "default" or "bridge" => RunNetwork.Default,
                "none" => RunNetwork.None,
                "host" => RunNetwork.Host,
                var other => throw BerthException.Invalid($"--network={other}: berth build supports default (bridge), none and host"),
            };
            var args = ParsePairs(p.GetValue(buildArgs), "--build-arg", fromEnvironment: true);
            var output = p.GetValue(outputOption) is { } o ? BuildOutput.Parse(o) : null;
            if (output is { Destination: "-" } && !Console.IsOutputRedirected)
                throw BerthException.Invalid("cowardly refusing to write a tar to a terminal. Use dest=PATH or redirect");
            var noCacheStages = (p.GetValue(noCacheFilter) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(v => v.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
            var epoch = args.TryGetValue("SOURCE_DATE_EPOCH", out var e) ? e : Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
            DateTimeOffset? sourceDate = null;
            if (epoch is { Length: > 0 })
                sourceDate = long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                    ? DateTimeOffset.FromUnixTimeSeconds(s) : throw BerthException.Invalid($"invalid SOURCE_DATE_EPOCH: {epoch}");

            using var temp = new TempContext();
            var contextArg = p.GetValue(context)!;
            var fileArg = p.GetValue(file);
            string contextDir, dockerfileText, dockerfileName;
            string? dockerfilePath = null;
            if (contextArg == "-")
            {
                if (fileArg == "-") throw BerthException.Invalid("invalid argument: can't use stdin for both build context and dockerfile");
                var stdin = temp.ReadStdin();
                contextDir = temp.Sub("context");
                if (LooksLikeArchive(stdin))
                {
                    using var raw = File.OpenRead(stdin);
                    using var plain = Compressions.OpenDecompressed(raw, out _);
                    LayerApplier.Apply(plain, contextDir, new ApplyOptions { Whiteouts = WhiteoutMode.Delete }, ct);
                    dockerfilePath = Path.Combine(contextDir, fileArg ?? "Dockerfile");
                }
                else
                {
                    // docker build - < Dockerfile: the text is the Dockerfile and the context is empty.
                    File.Copy(stdin, Path.Combine(contextDir, "Dockerfile"));
                    dockerfilePath = Path.Combine(contextDir, "Dockerfile");
                }
                dockerfileName = fileArg ?? "Dockerfile";
                dockerfileText = ReadDockerfile(dockerfilePath);
            }
            else
            {
                contextDir = Path.GetFullPath(contextArg);
                if (!Directory.Exists(contextDir)) throw BerthException.NotFound($"unable to prepare context: path \"{contextArg}\" not found");
                if (fileArg == "-")
                {
                    using var stdin = new StreamReader(Console.OpenStandardInput());
                    dockerfileText = stdin.ReadToEnd();
                    dockerfileName = "Dockerfile";
                }
                else
                {
                    dockerfilePath = fileArg is null ? Path.Combine(contextDir, "Dockerfile") : Path.GetFullPath(fileArg);
                    dockerfileText = ReadDockerfile(dockerfilePath);
                    dockerfileName = fileArg ?? "Dockerfile";
                }
            }
            // <Dockerfile>.dockerignore beside the Dockerfile wins over the context's .dockerignore (BuildKit).
            string? ignore = null;
            if (dockerfilePath is not null && File.Exists(dockerfilePath + ".dockerignore")) ignore = File.ReadAllText(dockerfilePath + ".dockerignore");
            else if (File.Exists(Path.Combine(contextDir, ".dockerignore"))) ignore = File.ReadAllText(Path.Combine(contextDir, ".dockerignore"));

            var request = new BuildRequest
            {
                ContextDirectory = contextDir,
                DockerfileText = dockerfileText,
                DockerfileName = dockerfileName,
                IgnoreText = ignore,
                BuildArgs = args,
                Target = p.GetValue(target),
                Labels = ParsePairs(p.GetValue(labels), "--label", fromEnvironment: false),
                Tags = tagList,
                NoCache = p.GetValue(noCache),
                Pull = p.GetValue(pull),
                NoCacheStages = noCacheStages,
                SourceDateEpoch = sourceDate,
                DefaultNetwork = net,
                Secrets = ParseSecrets(p.GetValue(secrets)),
            };
            // auto: the live view on a terminal, plain lines otherwise (as BuildKit decides).
            bool tty = mode == "tty" || mode == "auto" && !Console.IsErrorRedirected;
            int width = 120;
            if (tty) { try { width = Console.WindowWidth > 0 ? Console.WindowWidth : 120; } catch (IOException) { } }
            using var live = tty && mode != "quiet" ? new TtyProgress(ctx.Err, width) : null;
            IBuildProgress reporter = mode == "quiet" ? NullProgress.Instance : live ?? (IBuildProgress)new PlainProgress(ctx.Err);
            var started = System.Diagnostics.Stopwatch.StartNew();
            BuildResult result;
            var service = ctx.Builds;
            try
            {
                result = service.BuildAsync(request, reporter, ct).GetAwaiter().GetResult();
            }
            catch (BerthException ex) when (!ex.Message.StartsWith("failed to solve", StringComparison.Ordinal))
            {
                throw new BerthException(ex.Kind, $"failed to solve: {ex.Message}", ex);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: the last frame (steps CANCELED), then say so, as buildx does; 130 as for any interrupt.
                live?.Dispose();
                ctx.Err.WriteLine("Error: failed to solve: Canceled: context canceled");
                return ExitCodes.Interrupted;
            }
            if (p.GetValue(iidfile) is { } iid) File.WriteAllText(iid, result.ImageId.ToString());
            if (output is not null)
            {
                var exportStarted = System.Diagnostics.Stopwatch.StartNew();
                Export(service, result.ImageId, tagList, output, ct);
                if (mode != "quiet")
                    reporter.Message($"exporting to {output.Type} {output.Destination} done {exportStarted.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
            }
            if (mode == "quiet")
            {
                // With dest=- stdout carries the tar: the ID must not follow it.
                if (output is not { Destination: "-" }) ctx.Out.WriteLine(result.ImageId);
                return 0;
            }
            reporter.Message($"writing image {result.ImageId} done");
            foreach (var t in tagList) reporter.Message($"naming to {ImageReference.Parse(t)} done");
            reporter.Message($"built {result.ImageId.Short} in {started.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}s ({result.CachedSteps}/{result.Steps} layer steps cached)");
            return 0;
        })(c);
        return c;
    }

    /// <summary>Writes the <c>--output</c>: to stdout, or to a file beside the destination renamed into place, so a
    /// failed export never leaves a truncated archive.</summary>
    private static void Export(BuildService service, Digest imageId, IReadOnlyList<string> tags, BuildOutput output, CancellationToken ct)
    {
        if (output.Type == "local")
        {
            service.Export(imageId, tags, output, null, ct);
            return;
        }
        if (output.Destination == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            using var buffered = new BufferedStream(stdout, 1 << 20);
            service.Export(imageId, tags, output, () => buffered, ct);
            return;
        }
        var full = Path.GetFullPath(output.Destination);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.berth-{Environment.ProcessId}");
        try
        {
            service.Export(imageId, tags, output, () => new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20), ct);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static Command Builder()
    {
        var builder = new Command("builder", "Manage builds");
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused build cache, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var prune = new Command("prune", "Remove build cache") { all, force };
        CliContext.Bind((ctx, p, ct) =>
        {
            if (!p.GetValue(force) && !ImageCommands.Confirm(ctx, "WARNING! This will remove all dangling build cache.\n"))
                return 0;
            var builds = ctx.Builds;
            var (records, bytes) = builds.Prune(ctx.Images.ExtraRoots, ct);
            if (records > 0) ctx.Out.WriteLine($"Deleted build cache objects: {records}");
            ctx.Out.WriteLine($"Total:\t{Units.HumanSize(bytes)}");
            return 0;
        })(prune);
        var du = new Command("du", "Show build cache disk usage");
        CliContext.Bind((ctx, p, ct) =>
        {
            var builds = ctx.Builds;
            ctx.Out.WriteLine($"{"ID",-25} {"RECLAIMABLE",-12} {"SIZE",-10} LAST ACCESSED");
            foreach (var r in builds.List().OrderByDescending(r => r.LastUsed))
                ctx.Out.WriteLine($"{r.Key[7..32],-25} {"true",-12} {Units.HumanSize(r.Size),-10} {Units.Ago(r.LastUsed, DateTimeOffset.UtcNow)}");
            var u = builds.Usage();
            ctx.Out.WriteLine($"Shared:\t\t{Units.HumanSize(u.Size - u.Reclaimable)}\nPrivate:\t{Units.HumanSize(u.Reclaimable)}\nReclaimable:\t{Units.HumanSize(u.Reclaimable)}\nTotal:\t\t{Units.HumanSize(u.Size)}");
            return 0;
        })(du);
        builder.Subcommands.Add(prune);
        builder.Subcommands.Add(du);
        return builder;
    }

    private static string ReadDockerfile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw BerthException.NotFound($"failed to read dockerfile: open {path}: no such file or directory");
        }
    }

    private static bool LooksLikeArchive(string path)
    {
        using var f = File.OpenRead(path);
        var head = new byte[512];
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Compressions.Detect(head.AsSpan(0, n)) is not Compression.None || n >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8);
    }

    private static Dictionary<string, string> ParsePairs(string[]? values, string flag, bool fromEnvironment)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values ?? [])
        {
            int eq = v.IndexOf('=');
            if (eq == 0) throw BerthException.Invalid($"invalid {flag} \"{v}\": empty key");
            if (eq > 0) d[v[..eq]] = v[(eq + 1)..];
            else if (fromEnvironment) { if (Environment.GetEnvironmentVariable(v) is { } env) d[v] = env; }
            else d[v] = "";
        }
        return d;
    }

    private static Dictionary<string, string> ParseSecrets(string[]? values)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values ?? [])
        {
            string? id = null, src = null;
            foreach (var part in v.Split(','))
            {
                var kv = part.Split('=', 2);
                if (kv.Length != 2) throw BerthException.Invalid($"invalid --secret \"{v}\": expected id=ID,src=PATH");
                switch (kv[0])
                {
                    case "id": id = kv[1]; break;
                    case "src" or "source": src = kv[1]; break;
                    case "type" when kv[1] == "file": break;
                    default: throw BerthException.Invalid($"invalid --secret \"{v}\": unknown key {kv[0]}");
                }
            }
            if (id is null || src is null) throw BerthException.Invalid($"invalid --secret \"{v}\": expected id=ID,src=PATH");
            if (!File.Exists(src)) throw BerthException.NotFound($"--secret {id}: {src}: no such file");
            d[id] = Path.GetFullPath(src);
        }
        return d;
    }

    /// <summary>Temporary files of one build (a tar context, a Dockerfile from stdin), removed at the end.</summary>
    private sealed class TempContext : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "berth-build-" + Guid.NewGuid().ToString("N"));

        public string Sub(string name)
        {
            var d = Path.Combine(_dir, name);
            Directory.CreateDirectory(d);
            return d;
        }

        public string ReadStdin()
        {
            Directory.CreateDirectory(_dir);
            var path = Path.Combine(_dir, "stdin");
            using var input = Console.OpenStandardInput();
            using var f = File.Create(path);
            input.CopyTo(f);
            return path;
        }

        public void Dispose()
        {
            try { if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }
}
