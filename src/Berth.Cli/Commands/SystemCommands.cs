using System.CommandLine;
using Berth.Cli.Output;

namespace Berth.Cli.Commands;

/// <summary><c>berth system df|prune|check</c>.</summary>
internal static class SystemCommands
{
    public static Command Create()
    {
        var system = new Command("system", "Manage berth");
        system.Subcommands.Add(Df());
        system.Subcommands.Add(Prune());
        system.Subcommands.Add(Check());
        system.Subcommands.Add(EventsCommand.Create());
        return system;
    }

    private static Command Df()
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var c = new Command("df", "Show berth disk usage") { verbose, format };
        CliContext.Bind((ctx, p, ct) =>
        {
            var usage = Engine.SystemDiskUsage.Measure(ctx.Engine);
            var (du, ctr, vol, bc) = (usage.Images, usage.Containers, usage.Volumes, usage.BuildCache);
            var now = DateTimeOffset.UtcNow;
            string Pct(long part, long whole) => whole == 0 ? "0B" : $"{Units.HumanSize(part)} ({100 * part / whole}%)";
            var summary = new List<IReadOnlyDictionary<string, string>>
            {
                new Dictionary<string, string> { ["Type"] = "Images", ["TotalCount"] = du.Images.Count.ToString(), ["Active"] = du.ActiveImages.ToString(), ["Size"] = Units.HumanSize(du.ImagesSize), ["Reclaimable"] = Pct(du.Reclaimable, du.ImagesSize) },
                new Dictionary<string, string> { ["Type"] = "Containers", ["TotalCount"] = ctr.Count.ToString(), ["Active"] = ctr.Active.ToString(), ["Size"] = Units.HumanSize(ctr.Size), ["Reclaimable"] = Pct(ctr.Reclaimable, ctr.Size) },
                new Dictionary<string, string> { ["Type"] = "Local Volumes", ["TotalCount"] = vol.Count.ToString(), ["Active"] = vol.Active.ToString(), ["Size"] = Units.HumanSize(vol.Size), ["Reclaimable"] = Pct(vol.Reclaimable, vol.Size) },
                new Dictionary<string, string> { ["Type"] = "Build Cache", ["TotalCount"] = bc.Count.ToString(), ["Active"] = bc.Active.ToString(), ["Size"] = Units.HumanSize(bc.Size), ["Reclaimable"] = Units.HumanSize(bc.Reclaimable) },
            };
            if (!p.GetValue(verbose))
            {
                RowPrinter.Print(ctx.Out, summary, [new("TYPE", "Type"), new("TOTAL", "TotalCount"), new("ACTIVE", "Active"), new("SIZE", "Size"), new("RECLAIMABLE", "Reclaimable")],
                    p.GetValue(format), false, "Type");
                return 0;
            }
            ctx.Out.WriteLine("Images space usage:\n");
            var rows = new List<IReadOnlyDictionary<string, string>>();
            foreach (var i in du.Images)
            {
                var tags = i.View.Tags.Count == 0 ? [null] : i.View.Tags.Cast<Oci.ImageReference?>();
                foreach (var t in tags)
                    rows.Add(new Dictionary<string, string>
                    {
                        ["Repository"] = t?.FamiliarRepository ?? "<none>", ["Tag"] = t?.Tag ?? "<none>", ["ID"] = i.View.Record.Id.Short,
                        ["CreatedSince"] = Units.Ago(i.View.Record.Created, now), ["Size"] = Units.HumanSize(i.SharedSize + i.UniqueSize),
                        ["SharedSize"] = Units.HumanSize(i.SharedSize), ["UniqueSize"] = Units.HumanSize(i.UniqueSize), ["Containers"] = i.Containers.ToString(),
                    });
            }
            RowPrinter.Print(ctx.Out, rows,
                [new("REPOSITORY", "Repository"), new("TAG", "Tag"), new("IMAGE ID", "ID"), new("CREATED", "CreatedSince"), new("SIZE", "Size"),
                 new("SHARED SIZE", "SharedSize"), new("UNIQUE SIZE", "UniqueSize"), new("CONTAINERS", "Containers")],
                p.GetValue(format), false, "ID");
            ctx.Out.WriteLine($"\nTotal on disk: {Units.HumanSize(du.ImagesSize)}");
            return 0;
        })(c);
        return c;
    }

    private static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var c = new Command("prune", "Remove unused data") { all, force };
        CliContext.Bind((ctx, p, ct) =>
        {
            bool a = p.GetValue(all);
            if (!p.GetValue(force) && !ImageCommands.Confirm(ctx,
                    "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - " + (a ? "all images without at least one container associated to them" : "all dangling images") + "\n  - unused build cache\n"))
                return 0;
            // As docker: stopped containers first (they hold images and networks), then networks, images, the build cache.
            var (containers, containerBytes) = ctx.Containers.Prune(ct);
            if (containers.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Containers:");
                foreach (var id in containers) ctx.Out.WriteLine(id);
                ctx.Out.WriteLine();
            }
            var networks = ctx.Containers.Networks.Prune(_ => true);
            if (networks.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Networks:");
                foreach (var name in networks) ctx.Out.WriteLine(name);
                ctx.Out.WriteLine();
            }
            var r = ctx.Images.Prune(a, ct);
            if (r.Deleted.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Images:");
                foreach (var u in r.Untagged) ctx.Out.WriteLine($"untagged: {u}");
                foreach (var d in r.Deleted) ctx.Out.WriteLine($"deleted: {d}");
                ctx.Out.WriteLine();
            }
            var (records, cacheBytes) = ctx.Builds.Prune(ctx.Images.ExtraRoots, ct);
            if (records > 0) ctx.Out.WriteLine($"Deleted build cache objects: {records}\n");
            ctx.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(containerBytes + r.Reclaimed + cacheBytes)}");
            return 0;
        })(c);
        return c;
    }

    private static Command Check()
    {
        var repair = new Option<bool>("--repair") { Description = "Remove debris (unreferenced blobs, snapshots and unfinished work)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only print problems" };
        var c = new Command("check", "Verify every blob, reference and snapshot in the store") { repair, quiet };
        CliContext.Bind((ctx, p, ct) =>
        {
            var report = ctx.Images.Check(p.GetValue(repair), ct);
            foreach (var e in report.Errors) ctx.Out.WriteLine($"ERROR  {e}");
            foreach (var d in report.Debris) ctx.Out.WriteLine($"{(p.GetValue(repair) ? "REMOVED" : "DEBRIS")} {d}");
            if (!p.GetValue(quiet))
                ctx.Out.WriteLine($"checked {report.Blobs} blobs, {report.Snapshots} snapshots, {report.Images} images, {report.Tags} tags: " +
                                  (report.Clean ? "ok" : $"{report.Errors.Count} errors") + (report.Debris.Count > 0 ? $", {report.Debris.Count} debris" + (p.GetValue(repair) ? " removed" : " (remove with --repair)") : ""));
            return report.Clean ? 0 : 1;
        })(c);
        return c;
    }
}
