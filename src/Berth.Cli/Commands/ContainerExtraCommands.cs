using System.CommandLine;
using System.Globalization;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>rename, pause, unpause, diff, export, commit and stats: docker's flags, output and exit codes, each a call into
/// <see cref="ContainerService"/>.</summary>
internal static class ContainerExtraCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Rename();
        yield return Pause("pause", "Pause all processes within one or more containers", (s, row) => s.Pause(row));
        yield return Pause("unpause", "Unpause all processes within one or more containers", (s, row) => s.Unpause(row));
        yield return Diff();
        yield return Export();
        yield return Commit();
        yield return Stats();
        yield return CopyCommand.Create();
        yield return UpdateCommand.Create();
    }

    private static Command Rename()
    {
        var container = new Argument<string>("CONTAINER");
        var newName = new Argument<string>("NEW_NAME");
        var c = new Command("rename", "Rename a container") { container, newName };
        CliContext.Bind((ctx, p, ct) =>
        {
            var (old, name) = (p.GetValue(container)!, p.GetValue(newName)!);
            if (old.Length == 0 || name.Length == 0) throw BerthException.Invalid("Neither old nor new names may be empty");
            ctx.Containers.Rename(ctx.Containers.Resolve(old), name);
            return 0;
        })(c);
        return c;
    }

    /// <summary>pause and unpause: each container in turn, its name echoed on success; any failure exits 1.</summary>
    private static Command Pause(string name, string description, Action<ContainerService, Storage.Metadata.ContainerRow> action)
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, description) { names };
        CliContext.Bind((ctx, p, ct) =>
        {
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    action(ctx.Containers, ctx.Containers.Resolve(n));
                    ctx.Out.WriteLine(n);
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    rc = ExitCodes.Failure;
                }
            }
            return rc;
        })(c);
        return c;
    }

    private static Command Diff()
    {
        var container = new Argument<string>("CONTAINER");
        var c = new Command("diff", "Inspect changes to files or directories on a container's filesystem") { container };
        CliContext.Bind((ctx, p, ct) =>
        {
            foreach (var change in ctx.Containers.Changes(ctx.Containers.Resolve(p.GetValue(container)!)))
                ctx.Out.WriteLine($"{change.Letter} {change.Path}");
            return 0;
        })(c);
        return c;
    }

    private static Command Export()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var container = new Argument<string>("CONTAINER");
        var c = new Command("export", "Export a container's filesystem as a tar archive") { output, container };
        CliContext.Bind((ctx, p, ct) =>
        {
            var row = ctx.Containers.Resolve(p.GetValue(container)!);
            if (p.GetValue(output) is { Length: > 0 } file)
            {
                // Written beside the target and renamed into place: a failed export leaves no partial file.
                var temp = file + ".berth-" + Environment.ProcessId;
                try
                {
                    using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                        ctx.Containers.Export(row, stream, ct);
                    File.Move(temp, file, overwrite: true);
                }
                finally
                {
                    File.Delete(temp);
                }
                return 0;
            }
            if (!Console.IsOutputRedirected)
                throw BerthException.Invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            using var stdout = Console.OpenStandardOutput();
            ctx.Containers.Export(row, stdout, ct);
            return 0;
        })(c);
        return c;
    }

    private static Command Commit()
    {
        var author = new Option<string?>("--author", "-a") { Description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" };
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message" };
        var pause = new Option<bool>("--pause", "-p") { Description = "Pause container during commit", DefaultValueFactory = _ => true, Arity = ArgumentArity.ZeroOrOne };
        var container = new Argument<string>("CONTAINER");
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("commit", "Create a new image from a container's changes") { author, change, message, pause, container, reference };
        CliContext.Bind((ctx, p, ct) =>
        {
            var row = ctx.Containers.Resolve(p.GetValue(container)!);
            var id = ctx.Containers.Commit(row, new CommitRequest
            {
                Reference = p.GetValue(reference),
                Changes = p.GetValue(change) ?? [],
                Message = p.GetValue(message),
                Author = p.GetValue(author),
                Pause = p.GetValue(pause),
            }, ct);
            ctx.Out.WriteLine(id.ToString());
            return 0;
        })(c);
        return c;
    }
    private static Command Stats()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        var c = new Command("stats", "Display a live stream of container(s) resource usage statistics") { all, format, noStream, noTrunc, names };
        CliContext.Bind((ctx, p, ct) =>
        {
            var service = ctx.Containers;
            var given = p.GetValue(names) ?? [];
            var rows = given.Length > 0
                ? given.Select(service.Resolve).ToList()
                : service.List().Where(r => p.GetValue(all) || r.Status == "running").ToList();
            var trunc = !p.GetValue(noTrunc);
            List<Output.RowPrinter.Column> columns =
            [
                new("CONTAINER ID", "ID"), new("NAME", "Name"), new("CPU %", "CPUPerc"), new("MEM USAGE / LIMIT", "MemUsage"),
                new("MEM %", "MemPerc"), new("NET I/O", "NetIO"), new("BLOCK I/O", "BlockIO"), new("PIDS", "PIDs"),
            ];
            while (true)
            {
                var stats = service.Stats(rows, TimeSpan.FromSeconds(1), ct);
                var printed = stats.Select((s, i) => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
                {
                    ["Container"] = given.Length > 0 ? given[i] : trunc ? s.Id[..12] : s.Id,
                    ["ID"] = trunc ? s.Id[..12] : s.Id,
                    ["Name"] = s.Name,
                    ["CPUPerc"] = Percent(s.CpuPercent),
                    ["MemUsage"] = $"{BytesSize(s.MemoryUsage)} / {BytesSize(s.MemoryLimit)}",
                    ["MemPerc"] = Percent(s.MemoryPercent),
                    ["NetIO"] = $"{Output.Units.HumanSize(s.NetworkReceived)} / {Output.Units.HumanSize(s.NetworkSent)}",
                    ["BlockIO"] = $"{Output.Units.HumanSize(s.BlockRead)} / {Output.Units.HumanSize(s.BlockWrite)}",
                    ["PIDs"] = s.Pids.ToString(CultureInfo.InvariantCulture),
                }).ToList();
                if (!p.GetValue(noStream)) ctx.Out.Write("\u001b[2J\u001b[H");
                Output.RowPrinter.Print(ctx.Out, printed, columns, p.GetValue(format), false, "ID");
                ctx.Out.Flush();
                if (p.GetValue(noStream)) return 0;
            }
        })(c);
        return c;

        static string Percent(double v) => v.ToString("0.00", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>go-units BytesSize: binary units with four significant digits ("1.434MiB", "7.637GiB", "0B").</summary>
    private static string BytesSize(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double size = bytes;
        var i = 0;
        while (size >= 1024 && i < units.Length - 1) { size /= 1024; i++; }
        return size.ToString("G4", CultureInfo.InvariantCulture) + units[i];
    }
}
