using System.Text.Json;
using Berth.Api.Dto;
using Berth.Api.Streams;
using Berth.Build;
using Berth.Engine;
using Berth.Engine.Builds;
using Berth.Engine.Images;
using Berth.Oci;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Berth.Api.Routes;

/// <summary><c>/images/…</c> and <c>/build</c>. Image names in paths hold <c>/</c> and <c>:</c> unescaped
/// (<c>/images/127.0.0.1:5000/bb/push</c>), so one catch-all route per method splits off the action itself.</summary>
internal static class ImageRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/images/json", List).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapPost("/images/prune", Prune).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapPost("/images/load", Load);
        app.MapGet("/images/get", Save);
        app.MapPost("/build", Build);
        app.MapPost("/build/prune", BuildPrune).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapGet("/images/{**rest}", GetByName).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapPost("/images/{**rest}", PostByName).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapDelete("/images/{**rest}", Remove).RequireRateLimiting(ApiServer.EnginePolicy);
    }

    private static ImageService Images(HttpContext ctx) => ctx.Engine().Images;

    private static string Rest(HttpContext ctx) => (string)ctx.Request.RouteValues["rest"]!;

    /// <summary>NAME/ACTION → (NAME, ACTION) for the actions dockerd has under an image name.</summary>
    private static (string Name, string Action) Split(string rest, params string[] actions)
    {
        foreach (var a in actions)
            if (rest.EndsWith("/" + a, StringComparison.Ordinal) && rest.Length > a.Length + 1) return (rest[..^(a.Length + 1)], a);
        return (rest, "");
    }

    private static async Task List(HttpContext ctx)
    {
        var images = Images(ctx);
        var filters = ctx.Filters();
        var query = new ImageService.ListQuery { Filters = filters, Reference = null };
        var all = ctx.QueryBool("all");
        _ = all; // berth keeps no intermediate images: all and not all are the same list.
        var entries = images.List(query);
        var list = entries.GroupBy(e => e.View.Record.Id).Select(g =>
        {
            var view = g.First().View;
            // dockerd's reference store lists an image's references in lexical order of their full names.
            var tags = g.Where(e => e.Tag is not null).OrderBy(e => e.Tag!.ToString(), StringComparer.Ordinal).Select(e => e.Tag!.FamiliarName).ToList();
            return Summaries.Image(view) with { RepoTags = tags };
        }).ToList();
        await ctx.WriteJsonAsync(list, ApiJsonContext.Default.ListImageSummary);
    }

    private static async Task GetByName(HttpContext ctx)
    {
        var (name, action) = Split(Rest(ctx), "json", "history", "get");
        var images = Images(ctx);
        switch (action)
        {
            case "json":
            {
                var inspect = images.Inspect(images.Resolve(name));
                var bytes = JsonSerializer.SerializeToUtf8Bytes(inspect, EngineJsonContext.Default.ImageInspect);
                ctx.Response.ContentType = "application/json";
                await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ctx.RequestAborted);
                return;
            }
            case "history":
            {
                var image = images.Resolve(name);
                var tags = images.List().FirstOrDefault(v => v.Record.Id == image.Id)?.Tags.Select(t => t.FamiliarName).ToList();
                var rows = images.History(image);
                var list = rows.Select((r, i) => new HistoryItem(r.Id, r.Created?.ToUnixTimeSeconds() ?? 0, r.CreatedBy, i == 0 && tags is { Count: > 0 } ? tags : null, r.Size, r.Comment)).ToList();
                await ctx.WriteJsonAsync(list, ApiJsonContext.Default.ListHistoryItem);
                return;
            }
            case "get":
                await WriteSave(ctx, [name]);
                return;
            default:
                throw BerthException.NotFound("page not found");
        }
    }

    private static async Task PostByName(HttpContext ctx)
    {
        if (Rest(ctx) == "create")
        {
            await Pull(ctx);
            return;
        }
        var (name, action) = Split(Rest(ctx), "tag", "push");
        var images = Images(ctx);
        switch (action)
        {
            case "tag":
            {
                var repo = ctx.Query("repo");
                if (string.IsNullOrEmpty(repo)) throw BerthException.Invalid("repository name must have at least one component");
                var tag = ctx.Query("tag");
                images.Tag(name, string.IsNullOrEmpty(tag) ? repo : repo + ":" + tag, ctx.RequestAborted);
                ctx.Response.StatusCode = StatusCodes.Status201Created;
                ctx.Response.ContentLength = 0;
                return;
            }
            case "push":
                await Push(ctx, name);
                return;
            default:
                throw BerthException.NotFound($"page not found: {ctx.Request.Path}");
        }
    }

    /// <summary><c>POST /images/create?fromImage=&amp;tag=&amp;platform=</c>: a pull, answered with dockerd's JSON
    /// message stream (a status per layer, byte counts, then Digest and Status lines); an error once the stream has
    /// started is an in-band <c>error</c> message. Credentials are the <c>X-Registry-Auth</c> header's, else the
    /// engine's (docker's config.json).</summary>
    private static async Task Pull(HttpContext ctx)
    {
        var from = ctx.Query("fromImage");
        if (string.IsNullOrEmpty(from))
        {
            if (ctx.Query("fromSrc") is not { Length: > 0 } source) throw BerthException.Invalid("fromImage or fromSrc is required");
            await Import(ctx, source);
            return;
        }
        var tag = ctx.Query("tag");
        // dockerd: a digest tag is appended with "@", a tag with ":" (unless fromImage already has one).
        var name = string.IsNullOrEmpty(tag) ? from : tag.Contains(':', StringComparison.Ordinal) ? from + "@" + tag : from + ":" + tag;
        var reference = ImageReference.Parse(name);
        var options = new ImageService.PullOptions
        {
            Platform = ctx.Query("platform") is { Length: > 0 } p ? Platform.Parse(p) : null,
            Credentials = RegistryAuth.FromHeader(ctx),
        };
        var images = Images(ctx);
        var ct = ctx.StreamToken();
        // The response starts with the first message: a failure before it (a missing manifest) is the request's
        // status and message, as dockerd answers, and an in-band error after.
        ctx.Response.ContentType = "application/json";
        var writer = new JsonMessageWriter(ctx.Response.Body);
        try
        {
            var results = await images.PullAsync(name, options, new MessageProgress(writer), ct);
            foreach (var r in results) writer.Write(new JsonMessage { Status = $"Digest: {r.ManifestDigest}" });
            writer.Write(new JsonMessage
            {
                Status = results.Any(r => r.Downloaded) ? $"Status: Downloaded newer image for {reference.FamiliarName}" : $"Status: Image is up to date for {reference.FamiliarName}",
            });
        }
        catch (Exception e) when (e is not OperationCanceledException && ctx.Response.HasStarted)
        {
            writer.Error(ErrorMapping.Classify(e).Message);
        }
    }

    /// <summary><c>POST /images/create?fromSrc=-&amp;repo=&amp;tag=&amp;changes=&amp;message=&amp;platform=</c>: <c>docker
    /// import</c> of the tar in the request body (gzip and zstd too), answered as dockerd: a JSON message with the new
    /// image's ID. With <c>fromSrc=URL</c> the tar is downloaded (dockerd's GET: a failure to reach it or a 4xx/5xx
    /// status is the request's error), with <c>Downloading from URL</c> and <c>Importing</c> progress first; an
    /// import that fails once that has been sent is an in-band error.</summary>
    private static async Task Import(HttpContext ctx, string source)
    {
        if (source == "-") ctx.UnboundedBody();
        var repo = ctx.Query("repo");
        var tag = ctx.Query("tag");
        var options = new ImageService.ImportOptions
        {
            Reference = string.IsNullOrEmpty(repo) ? null : string.IsNullOrEmpty(tag) ? repo : repo + ":" + tag,
            Changes = ctx.Request.Query["changes"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).ToList(),
            Message = ctx.Query("message") is { Length: > 0 } m ? m : null,
            SourceName = "-",
            Platform = ctx.Query("platform") is { Length: > 0 } p ? p : null,
        };
        var images = Images(ctx);
        var ct = ctx.StreamToken();
        // The tag is checked before anything is read or answered: a bad one is a 400, not an in-band error.
        if (options.Reference is { } reference) ImageReference.Parse(reference);
        if (source != "-")
        {
            using var download = await images.OpenImportSourceAsync(source, ct);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.StartAsync(ct);
            var progressWriter = new JsonMessageWriter(ctx.Response.Body);
            try
            {
                var imported = await HttpExtensions.RunLongAsync(() => images.Import(download, options with { SourceName = source }, new MessageProgress(progressWriter), ct));
                progressWriter.Write(new JsonMessage { Status = imported.ToString() });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                progressWriter.Error(ErrorMapping.Classify(e).Message);
            }
            return;
        }
        var id = await HttpExtensions.RunLongAsync(() => images.Import(ctx.Request.Body, options, ct));
        ctx.Response.ContentType = "application/json";
        var writer = new JsonMessageWriter(ctx.Response.Body);
        writer.Write(new JsonMessage { Status = id.ToString() });
    }

    /// <summary><c>POST /images/{name}/push?tag=</c>: dockerd's JSON message stream, ending with
    /// <c>TAG: digest: D size: N</c> and its aux record per pushed tag.</summary>
    private static async Task Push(HttpContext ctx, string name)
    {
        var tag = ctx.Query("tag");
        var full = string.IsNullOrEmpty(tag) ? name : name + ":" + tag;
        var credentials = RegistryAuth.FromHeader(ctx);
        var images = Images(ctx);
        var ct = ctx.StreamToken();
        // Started by the first message, as pull.
        ctx.Response.ContentType = "application/json";
        var writer = new JsonMessageWriter(ctx.Response.Body);
        try
        {
            var results = await images.PushAsync(full, allTags: string.IsNullOrEmpty(tag) && !name.Contains('@', StringComparison.Ordinal) && ImageReference.Parse(name).Tag is null, credentials, new MessageProgress(writer), ct);
            foreach (var r in results)
                writer.Write(new JsonMessage { Status = $"{r.Reference.Tag ?? "latest"}: digest: {r.ManifestDigest} size: {r.ManifestSize}" });
        }
        catch (Exception e) when (e is not OperationCanceledException && ctx.Response.HasStarted)
        {
            writer.Error(ErrorMapping.Classify(e).Message);
        }
    }

    /// <summary>The engine's pull/push progress as jsonmessage lines.</summary>
    private sealed class MessageProgress(JsonMessageWriter writer) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => writer.Write(new JsonMessage
        {
            Status = value.Status,
            Id = value.Id,
            ProgressDetail = value.Current is null && value.Total is null ? null : new ProgressDetail { Current = value.Current, Total = value.Total },
        });
    }

    private static async Task Remove(HttpContext ctx)
    {
        var images = Images(ctx);
        var result = images.Remove(Rest(ctx), ctx.QueryBool("force"), !ctx.QueryBool("noprune"), ctx.RequestAborted);
        var list = result.Untagged.Select(t => new ImageDeleteItem { Untagged = t })
            .Concat(result.Deleted.Select(d => new ImageDeleteItem { Deleted = d.ToString() })).ToList();
        await ctx.WriteJsonAsync(list, ApiJsonContext.Default.ListImageDeleteItem);
    }

    private static async Task Prune(HttpContext ctx)
    {
        var filters = ctx.Filters();
        bool all = false;
        foreach (var (key, values) in filters)
        {
            if (key != "dangling") throw BerthException.Invalid($"invalid filter '{key}'");
            foreach (var v in values)
                all = v switch { "false" or "0" => true, "true" or "1" => false, _ => throw BerthException.Invalid($"invalid filter 'dangling={v}'") };
        }
        var result = Images(ctx).Prune(all, ctx.RequestAborted);
        var list = result.Untagged.Select(t => new ImageDeleteItem { Untagged = t })
            .Concat(result.Deleted.Select(d => new ImageDeleteItem { Deleted = d.ToString() })).ToList();
        await ctx.WriteJsonAsync(new ImagesPruneResponse(list.Count == 0 ? null : list, result.Reclaimed), ApiJsonContext.Default.ImagesPruneResponse);
    }

    /// <summary><c>GET /images/get?names=…</c>: one archive of the images named (docker-archive and OCI layout).</summary>
    private static Task Save(HttpContext ctx)
    {
        var names = ctx.Request.Query["names"].Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).ToList();
        if (names.Count == 0) throw BerthException.Invalid("no image names given");
        return WriteSave(ctx, names);
    }

    private static async Task WriteSave(HttpContext ctx, IReadOnlyList<string> names)
    {
        var images = Images(ctx);
        foreach (var n in names) images.Resolve(n); // 404 before the 200
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/x-tar";
        await ctx.Response.StartAsync(ct);
        await HttpExtensions.RunLongAsync(() => images.Save(names, ctx.Response.Body, ct));
    }

    /// <summary><c>POST /images/load</c>: the body is an image archive; the result is a JSON message stream
    /// (<c>Loaded image: …</c>), errors in-band once the stream has started.</summary>
    private static async Task Load(HttpContext ctx)
    {
        ctx.UnboundedBody();
        var images = Images(ctx);
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ct);
        var writer = new JsonMessageWriter(ctx.Response.Body);
        await HttpExtensions.RunLongAsync(() =>
        {
            try
            {
                foreach (var loaded in images.Load(ctx.Request.Body, ct))
                {
                    if (loaded.Tags.Count == 0) writer.Stream($"Loaded image ID: {loaded.Id}\n");
                    foreach (var t in loaded.Tags) writer.Stream($"Loaded image: {(ImageReference.TryParse(t, out var r) ? r!.FamiliarName : t)}\n");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                writer.Error(ErrorMapping.Classify(e).Message);
            }
        });
    }

    /// <summary><c>POST /build</c>: the body is the context (a tar, possibly compressed); t, dockerfile, buildargs,
    /// target, labels, nocache, q as dockerd reads them; the answer is the legacy builder's JSON stream, ending with
    /// the image ID (aux) and the tags, or an in-band error whose code is the failed RUN's exit code (the docker CLI
    /// exits with it).</summary>
    private static async Task Build(HttpContext ctx)
    {
        ctx.UnboundedBody();
        var engine = ctx.Engine();
        var tags = ctx.Request.Query["t"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList();
        foreach (var t in tags)
            if (!ImageReference.TryParse(t, out _)) throw BerthException.Invalid($"invalid reference format: {t}");
        var dockerfileName = ctx.Query("dockerfile") is { Length: > 0 } f ? f : "Dockerfile";
        if (ctx.Query("remote") is { Length: > 0 }) throw new BerthException(ErrorKind.NotImplemented, "build from a remote context is not supported by berth");
        var buildArgs = JsonMap(ctx.Query("buildargs"), "buildargs");
        var labels = JsonMap(ctx.Query("labels"), "labels");
        var quiet = ctx.QueryBool("q");
        var network = ctx.Query("networkmode") switch
        {
            null or "" or "default" or "bridge" => Berth.Dockerfile.Instructions.RunNetwork.Default,
            "none" => Berth.Dockerfile.Instructions.RunNetwork.None,
            "host" => Berth.Dockerfile.Instructions.RunNetwork.Host,
            var n => throw BerthException.Invalid($"network mode {n} is not supported for builds"),
        };
        var ct = ctx.StreamToken();
        var context = Directory.CreateTempSubdirectory("berth-build-context-");
        try
        {
            await HttpExtensions.RunLongAsync(() => BuildService.UnpackContext(ctx.Request.Body, context.FullName, ct));
            var dockerfilePath = Path.GetFullPath(Path.Combine(context.FullName, dockerfileName));
            if (!dockerfilePath.StartsWith(context.FullName + "/", StringComparison.Ordinal) || !File.Exists(dockerfilePath))
                throw BerthException.Invalid($"Cannot locate specified Dockerfile: {dockerfileName}");
            string? ignore = File.Exists(dockerfilePath + ".dockerignore") ? await File.ReadAllTextAsync(dockerfilePath + ".dockerignore", ct)
                : File.Exists(Path.Combine(context.FullName, ".dockerignore")) ? await File.ReadAllTextAsync(Path.Combine(context.FullName, ".dockerignore"), ct) : null;
            var request = new BuildRequest
            {
                ContextDirectory = context.FullName,
                DockerfileText = await File.ReadAllTextAsync(dockerfilePath, ct),
                DockerfileName = dockerfileName,
                IgnoreText = ignore,
                BuildArgs = buildArgs,
                Target = ctx.Query("target") is { Length: > 0 } target ? target : null,
                Labels = labels,
                Tags = tags,
                NoCache = ctx.QueryBool("nocache"),
                DefaultNetwork = network,
            };
            ctx.Response.ContentType = "application/json";
            await ctx.Response.StartAsync(ct);
            var writer = new JsonMessageWriter(ctx.Response.Body);
            try
            {
                var result = await Task.Factory.StartNew(() => engine.Builds.BuildAsync(request, new JsonBuildProgress(writer, quiet, ctx.QueryBool("forcerm")), ct),
                    ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
                writer.Write(new JsonMessage { Aux = new AuxId(result.ImageId.ToString()) });
                if (quiet) writer.Stream(result.ImageId + "\n");
                else
                {
                    writer.Stream($"Successfully built {result.ImageId.Short}\n");
                    foreach (var t in tags) writer.Stream($"Successfully tagged {ImageReference.Parse(t).FamiliarName}\n");
                }
            }
            catch (RunStepFailedException e)
            {
                // The legacy builder's words (docker-py's BuildError and the CLI without BuildKit print them) and the
                // command's code, which the CLI exits with.
                writer.Error($"The command '{string.Join(' ', e.Command)}' returned a non-zero code: {e.ExitCode}", e.ExitCode);
            }
            catch (BerthException e)
            {
                writer.Error(e.Message, 1);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            try { context.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static Dictionary<string, string> JsonMap(string? text, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text)) return map;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw BerthException.Invalid($"{name}: expected a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
                // A build arg given as null takes its value from the Dockerfile's default.
                if (p.Value.ValueKind == JsonValueKind.String) map[p.Name] = p.Value.GetString()!;
                else if (p.Value.ValueKind != JsonValueKind.Null) throw BerthException.Invalid($"{name}: {p.Name}: expected a string");
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"{name}: {e.Message}");
        }
        return map;
    }

    private static async Task BuildPrune(HttpContext ctx)
    {
        var engine = ctx.Engine();
        var before = engine.Builds.List().Select(r => r.Key).ToList();
        var (records, bytes) = engine.Builds.Prune(engine.Images.ExtraRoots, ctx.RequestAborted);
        await ctx.WriteJsonAsync(new BuildCachePruneResponse(records == 0 ? null : before, bytes), ApiJsonContext.Default.BuildCachePruneResponse);
    }
}
