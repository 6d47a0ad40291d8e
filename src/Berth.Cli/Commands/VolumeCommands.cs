using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Berth.Cli.Output;
using Berth.Engine.Containers;
using Berth.Engine.Volumes;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary><c>berth volume create|ls|inspect|rm|prune</c>, as docker's local volume driver.</summary>
internal static class VolumeCommands
{
    public static Command Create()
    {
        var volume = new Command("volume", "Manage volumes");
        volume.Subcommands.Add(CreateVolume());
        volume.Subcommands.Add(List());
        volume.Subcommands.Add(Inspect());
        volume.Subcommands.Add(Remove());
        volume.Subcommands.Add(Prune());
        return volume;
    }

    private static VolumeService Volumes(CliContext ctx) => ctx.Engine.Volumes;

    private static Command With(Command c, Func<CliContext, ParseResult, CancellationToken, int> body)
    {
        CliContext.Bind(body)(c);
        return c;
    }

    private static Command CreateVolume()
    {
        var driver = new Option<string>("--driver", "-d") { Description = "Specify volume driver name", DefaultValueFactory = _ => "local" };
        var label = new Option<string[]>("--label") { Description = "Set metadata for a volume" };
        var name = new Argument<string?>("VOLUME") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("create", "Create a volume") { driver, label, name };
        return With(c, (ctx, p, ct) =>
        {
            if (p.GetValue(driver) != "local") throw BerthException.Invalid($"plugin \"{p.GetValue(driver)}\" not found");
            var labels = new Dictionary<string, string>();
            foreach (var l in p.GetValue(label) ?? [])
            {
                var eq = l.IndexOf('=');
                labels[eq < 0 ? l : l[..eq]] = eq < 0 ? "" : l[(eq + 1)..];
            }
            var n = p.GetValue(name) ?? Berth.Interop.KernelRandom.Hex(32);
            Volumes(ctx).Ensure(n, anonymous: p.GetValue(name) is null, labels);
            ctx.Out.WriteLine(n);
            return 0;
        });
    }

    private static Command List()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Provide filter values (dangling=true|false, name=, label=)" };
        var c = new Command("ls", "List volumes") { quiet, format, filter };
        c.Aliases.Add("list");
        return With(c, (ctx, p, ct) =>
        {
            var volumes = Volumes(ctx);
            var rows = new List<IReadOnlyDictionary<string, string>>();
            foreach (var v in volumes.List())
            {
                var labels = VolumeService.LabelsOf(v);
                var keep = true;
                foreach (var f in p.GetValue(filter) ?? [])
                {
                    var eq = f.IndexOf('=');
                    var (key, value) = eq < 0 ? (f, "") : (f[..eq], f[(eq + 1)..]);
                    keep &= key switch
                    {
                        "dangling" => (volumes.UsedBy(v.Name).Count == 0) == (value is "true" or "1"),
                        "name" => v.Name.Contains(value, StringComparison.Ordinal),
                        "label" => value.Contains('=') ? labels.TryGetValue(value[..value.IndexOf('=')], out var lv) && lv == value[(value.IndexOf('=') + 1)..] : labels.ContainsKey(value),
                        "driver" => value == "local",
                        _ => throw BerthException.Invalid($"invalid filter '{key}'"),
                    };
                }
                if (!keep) continue;
                rows.Add(new Dictionary<string, string>
                {
                    ["Driver"] = "local",
                    ["Name"] = v.Name,
                    ["Mountpoint"] = volumes.DataPathOf(v.Name),
                    ["Scope"] = "local",
                    ["Labels"] = string.Join(',', labels.Select(kv => $"{kv.Key}={kv.Value}")),
                    ["CreatedAt"] = v.Created.ToString("yyyy-MM-dd HH:mm:ss '+0000 UTC'", CultureInfo.InvariantCulture),
                });
            }
            RowPrinter.Print(ctx.Out, rows, [new("DRIVER", "Driver"), new("VOLUME NAME", "Name")], p.GetValue(format), p.GetValue(quiet), "Name");
            return 0;
        });
    }

    private static Command Inspect()
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template or json" };
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("inspect", "Display detailed information on one or more volumes") { format, names };
        return With(c, (ctx, p, ct) =>
        {
            var volumes = Volumes(ctx);
            var list = new List<VolumeInspect>();
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    list.Add(volumes.Inspect(volumes.Get(n)));
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    rc = 1;
                }
            }
            var fmt = p.GetValue(format);
            if (string.IsNullOrEmpty(fmt) || fmt == "json")
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(list, ContainerJsonContext.Indented.ListVolumeInspect));
            }
            else
            {
                var template = GoTemplate.Parse(fmt);
                foreach (var v in list)
                {
                    ctx.Out.WriteLine(template.Execute(JsonSerializer.Serialize(v, ContainerJsonContext.Default.VolumeInspect)));
                }
            }
            return rc;
        });
    }

    private static Command Remove()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes" };
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("rm", "Remove one or more volumes") { force, names };
        c.Aliases.Add("remove");
        return With(c, (ctx, p, ct) =>
        {
            var volumes = Volumes(ctx);
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    volumes.Remove(n, p.GetValue(force));
                    ctx.Out.WriteLine(n);
                }
                catch (BerthException e)
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
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
        var c = new Command("prune", "Remove unused local volumes") { force, all };
        return With(c, (ctx, p, ct) =>
        {
            if (!p.GetValue(force))
            {
                ctx.Out.Write("WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ");
                ctx.Out.Flush();
                if (Console.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            var (removed, bytes) = Volumes(ctx).Prune(p.GetValue(all));
            if (removed.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Volumes:");
                foreach (var n in removed) ctx.Out.WriteLine(n);
                ctx.Out.WriteLine();
            }
            ctx.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(bytes)}");
            return 0;
        });
    }
}
