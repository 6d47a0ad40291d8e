using System.CommandLine;
using System.Text.Json;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Images;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>Image commands, each at the top level (<c>berth images</c>, <c>rmi</c>…) and under
/// <c>berth image</c>, as docker has them.</summary>
internal static class ImageCommands
{
    public static IEnumerable<Command> Create()
    {
        var image = new Command("image", "Manage images");
        image.Subcommands.Add(List("ls", "list"));
        image.Subcommands.Add(Inspect("inspect"));
        image.Subcommands.Add(History("history"));
        image.Subcommands.Add(Tag("tag"));
        image.Subcommands.Add(Remove("rm", "remove"));
        image.Subcommands.Add(Prune());
        image.Subcommands.Add(Import("import"));
        image.Subcommands.Add(Load("load"));
        image.Subcommands.Add(Save("save"));
        foreach (var c in RegistryCommands.ImageSubcommands()) image.Subcommands.Add(c);
        return [image, List("images"), Inspect("inspect"), History("history"), Tag("tag"), Remove("rmi"), Import("import"), Load("load"), Save("save")];
    }

    private static Command With(Command c, Func<CliContext, ParseResult, CancellationToken, int> body)
    {
        CliContext.Bind(body)(c);
        return c;
    }

    private static Command List(string name, params string[] aliases)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var digests = new Option<bool>("--digests") { Description = "Show digests" };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output (dangling=true|false, reference=PATTERN, label=KEY[=VALUE])" };
        var repo = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command(name, "List images") { all, quiet, noTrunc, digests, format, filter, repo };
        foreach (var a in aliases) c.Aliases.Add(a);
        return With(c, (ctx, p, ct) =>
        {
            var now = DateTimeOffset.UtcNow;
            var rows = new List<IReadOnlyDictionary<string, string>>();
            bool trunc = !p.GetValue(noTrunc);
            var seenIds = new HashSet<Digest>();
            var repoDigests = ctx.Store.Metadata.ListRepoDigests();
            foreach (var (v, t) in ctx.Images.List(new ImageService.ListQuery { Filters = FilterFlags.Parse(p.GetValue(filter)), Reference = p.GetValue(repo) }))
            {
                if (p.GetValue(quiet) && !seenIds.Add(v.Record.Id)) continue;
                string id = trunc ? v.Record.Id.Short : v.Record.Id.ToString();
                rows.Add(new Dictionary<string, string>
                {
                    ["Repository"] = t?.FamiliarRepository ?? "<none>",
                    ["Tag"] = t?.Tag ?? "<none>",
                    ["Digest"] = t is null ? "<none>" : repoDigests.Where(r => r.Image == v.Record.Id && r.Repository == t.Repository).Select(r => r.Digest.ToString()).FirstOrDefault() ?? "<none>",
                    ["ID"] = id,
                    ["CreatedSince"] = Units.Ago(v.Record.Created, now),
                    ["CreatedAt"] = Units.GoTime(v.Record.Created),
                    ["Size"] = Units.HumanSize(v.Size),
                    ["VirtualSize"] = Units.HumanSize(v.Size),
                    ["SharedSize"] = "N/A",
                    ["UniqueSize"] = "N/A",
                    ["Containers"] = "N/A",
                });
            }
            var columns = new List<RowPrinter.Column> { new("REPOSITORY", "Repository"), new("TAG", "Tag") };
            if (p.GetValue(digests)) columns.Add(new("DIGEST", "Digest"));
            columns.AddRange([new("IMAGE ID", "ID"), new("CREATED", "CreatedSince"), new("SIZE", "Size")]);
            RowPrinter.Print(ctx.Out, rows, columns, p.GetValue(format), p.GetValue(quiet), "ID");
            return 0;
        });
    }

    private static Command Inspect(string name)
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template or json" };
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, "Display detailed information on one or more images") { format, names };
        return With(c, (ctx, p, ct) =>
        {
            var list = new List<ImageInspect>();
            int rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                if (ctx.Images.TryResolve(n, out var img)) list.Add(ctx.Images.Inspect(img!));
                else { ctx.Err.WriteLine($"Error: No such image: {n}"); rc = 1; }
            }
            var fmt = p.GetValue(format);
            if (string.IsNullOrEmpty(fmt) || fmt == "json")
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(list, EngineJsonContext.Indented.ListImageInspect));
            }
            else
            {
                var template = GoTemplate.Parse(fmt);
                foreach (var i in list)
                {
                    ctx.Out.WriteLine(template.Execute(JsonSerializer.Serialize(i, EngineJsonContext.Default.ImageInspect)));
                }
            }
            return rc;
        });
    }

    private static Command History(string name)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var image = new Argument<string>("IMAGE");
        var c = new Command(name, "Show the history of an image") { quiet, noTrunc, human, format, image };
        return With(c, (ctx, p, ct) =>
        {
            var img = ctx.Images.Resolve(p.GetValue(image)!);
            var now = DateTimeOffset.UtcNow;
            bool trunc = !p.GetValue(noTrunc);
            var rows = ctx.Images.History(img).Select(h =>
            {
                string id = h.Id == "<missing>" ? h.Id : trunc ? Digest.Parse(h.Id).Short : h.Id;
                string by = trunc && h.CreatedBy.Length > 45 ? h.CreatedBy[..44] + "…" : h.CreatedBy;
                return (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
                {
                    ["ID"] = id,
                    ["CreatedSince"] = p.GetValue(human) ? Units.Ago(h.Created, now) : h.Created?.ToString("O") ?? "",
                    ["CreatedAt"] = h.Created?.ToString("yyyy-MM-dd'T'HH:mm:ssK") ?? "",
                    ["CreatedBy"] = by,
                    ["Size"] = p.GetValue(human) ? Units.HumanSize(h.Size) : h.Size.ToString(),
                    ["Comment"] = h.Comment,
                };
            }).ToList();
            RowPrinter.Print(ctx.Out, rows,
                [new("IMAGE", "ID"), new("CREATED", "CreatedSince"), new("CREATED BY", "CreatedBy"), new("SIZE", "Size"), new("COMMENT", "Comment")],
                p.GetValue(format), p.GetValue(quiet), "ID");
            return 0;
        });
    }

    private static Command Tag(string name)
    {
        var source = new Argument<string>("SOURCE_IMAGE[:TAG]");
        var target = new Argument<string>("TARGET_IMAGE[:TAG]");
        var c = new Command(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE") { source, target };
        return With(c, (ctx, p, ct) =>
        {
            ctx.Images.Tag(p.GetValue(source)!, p.GetValue(target)!, ct);
            return 0;
        });
    }

    private static Command Remove(string name, params string[] aliases)
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, "Remove one or more images") { force, noPrune, images };
        foreach (var a in aliases) c.Aliases.Add(a);
        return With(c, (ctx, p, ct) =>
        {
            int rc = 0;
            foreach (var n in p.GetValue(images)!)
            {
                try
                {
                    var r = ctx.Images.Remove(n, p.GetValue(force), prune: !p.GetValue(noPrune), ct);
                    foreach (var u in r.Untagged) ctx.Out.WriteLine($"Untagged: {u}");
                    foreach (var d in r.Deleted) ctx.Out.WriteLine($"Deleted: {d}");
                }
                catch (BerthException e) when (e.Kind is ErrorKind.NotFound or ErrorKind.Conflict)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    rc = 1;
                }
            }
            return rc;
        });
    }

    private static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (not yet supported: refused)" };
        var c = new Command("prune", "Remove unused images") { all, force, filter };
        return With(c, (ctx, p, ct) =>
        {
            if (p.GetValue(filter) is { Length: > 0 }) throw new BerthException(ErrorKind.NotImplemented, "image prune: --filter is not supported yet");
            bool a = p.GetValue(all);
            if (!p.GetValue(force) && !Confirm(ctx, a
                    ? "WARNING! This will remove all images without at least one container associated to them."
                    : "WARNING! This will remove all dangling images.")) return 0;
            var r = ctx.Images.Prune(a, ct);
            if (r.Deleted.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Images:");
                foreach (var u in r.Untagged) ctx.Out.WriteLine($"untagged: {u}");
                foreach (var d in r.Deleted) ctx.Out.WriteLine($"deleted: {d}");
                ctx.Out.WriteLine();
            }
            ctx.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(r.Reclaimed)}");
            return 0;
        });
    }

    internal static bool Confirm(CliContext ctx, string warning)
    {
        ctx.Out.Write($"{warning}\nAre you sure you want to continue? [y/N] ");
        var answer = Console.In.ReadLine();
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }

    private static Command Import(string name)
    {
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var message = new Option<string?>("--message", "-m") { Description = "Set commit message for imported image" };
        var platform = new Option<string?>("--platform") { Description = "Set platform (linux/amd64 only)" };
        var file = new Argument<string>("file|URL|-");
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command(name, "Import the contents from a tarball to create a filesystem image") { change, message, platform, file, reference };
        return With(c, (ctx, p, ct) =>
        {
            string src = p.GetValue(file)!;
            var options = new ImageService.ImportOptions
            {
                Reference = p.GetValue(reference), Changes = p.GetValue(change) ?? [], Message = p.GetValue(message),
                SourceName = src,
                Platform = p.GetValue(platform),
            };
            // docker/cli: an http(s) source is a URL the daemon downloads (its "Downloading from" line first).
            if (src.StartsWith("http://", StringComparison.Ordinal) || src.StartsWith("https://", StringComparison.Ordinal))
            {
                if (options.Reference is { } tag) Berth.Oci.ImageReference.Parse(tag);
                using var download = ctx.Images.OpenImportSourceAsync(src, ct).GetAwaiter().GetResult();
                ctx.Out.WriteLine(ctx.Images.Import(download, options, ProgressPrinter.For(ctx.Out), ct).ToString());
                return 0;
            }
            using var input = src == "-" ? Console.OpenStandardInput(1 << 16) : OpenFile(src);
            var id = ctx.Images.Import(input, options, ct);
            ctx.Out.WriteLine(id.ToString());
            return 0;
        });
    }

    internal static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw BerthException.NotFound($"open {path}: no such file or directory");
        }
        catch (DirectoryNotFoundException)
        {
            throw BerthException.NotFound($"open {path}: no such file or directory");
        }
    }

    private static Command Load(string name)
    {
        var input = new Option<string?>("--input", "-i") { Description = "Read from tar archive file, instead of STDIN" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
        var c = new Command(name, "Load an image from a tar archive or STDIN") { input, quiet };
        return With(c, (ctx, p, ct) =>
        {
            var path = p.GetValue(input);
            if (path is null && !Console.IsInputRedirected)
                throw BerthException.Invalid("requested load from stdin, but stdin is empty");
            using var stream = path is null or "-" ? Console.OpenStandardInput(1 << 16) : OpenFile(path);
            foreach (var img in ctx.Images.Load(stream, ct))
            {
                if (p.GetValue(quiet)) continue;
                if (img.Tags.Count == 0) ctx.Out.WriteLine($"Loaded image ID: {img.Id}");
                foreach (var t in img.Tags) ctx.Out.WriteLine($"Loaded image: {ImageReference.Parse(t).FamiliarName}");
            }
            return 0;
        });
    }

    private static Command Save(string name)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, "Save one or more images to a tar archive (streamed to STDOUT by default)") { output, images };
        return With(c, (ctx, p, ct) =>
        {
            var path = p.GetValue(output);
            if (path is null && !Console.IsOutputRedirected)
                throw BerthException.Invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            if (path is null)
            {
                using var stdout = Console.OpenStandardOutput();
                using var buffered = new BufferedStream(stdout, 1 << 20);
                ctx.Images.Save(p.GetValue(images)!, buffered, ct);
                return 0;
            }
            // Write beside the target and rename: a failed save never leaves a truncated archive behind.
            var full = Path.GetFullPath(path);
            var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.berth-{Environment.ProcessId}");
            try
            {
                using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                    ctx.Images.Save(p.GetValue(images)!, fs, ct);
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
            return 0;
        });
    }
}
