using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.IntegrationTests.Images;

[Collection("images")]
[Trait("Category", "Integration")]
public sealed partial class ImageLifecycleTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private Testing.Berth Seeded(out string id)
    {
        var berth = new Testing.Berth(_tmp.Combine("root"));
        id = berth.Ok("import", bases.Require(), "base:1").Trim();
        return berth;
    }

    [Fact]
    public void TagAndRmiFollowDockersRules()
    {
        // rmi by name untags; the image goes with its last tag; an ID tagged in two repositories needs -f.
        var berth = Seeded(out var id);
        berth.Ok("tag", "base:1", "other/name:2");
        berth.Ok("tag", id[7..19], "base:alias");
        Assert.Equal(3, berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}").Trim().Split('\n').Length);

        var refused = berth.Run("rmi", id[7..19]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("referenced in multiple repositories", refused.Stderr);

        Assert.Equal("Untagged: other/name:2", berth.Ok("rmi", "other/name:2").Trim());
        Assert.Equal("Untagged: base:alias", berth.Ok("rmi", "base:alias").Trim());
        var last = berth.Ok("rmi", "base:1");
        Assert.Contains("Untagged: base:1", last);
        Assert.Contains($"Deleted: {id}", last);
        Assert.Equal("", berth.Ok("images", "-q"));
        // The last reference gone, garbage collection leaves the store empty.
        Assert.Empty(Directory.GetFiles(Path.Combine(berth.Root, "blobs", "sha256")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(berth.Root, "snapshots")));
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
    }

    [Fact]
    public void ForcedRmiOfAnIdRemovesEveryTag()
    {
        var berth = Seeded(out var id);
        berth.Ok("tag", "base:1", "x/y:z");
        var r = berth.Ok("rmi", "-f", id);
        Assert.Contains("Untagged: base:1", r);
        Assert.Contains("Untagged: x/y:z", r);
        Assert.Contains($"Deleted: {id}", r);
    }

    [Fact]
    public void PruneRemovesDanglingImagesAndAllWithA()
    {
        var berth = Seeded(out var id);
        // Re-importing with a change gives a new image and takes the tag: the old one is dangling.
        var id2 = berth.Ok("import", "--change", "ENV V=2", bases.Require(), "base:1").Trim();
        Assert.Contains("<none>", berth.Ok("images"));
        Assert.Equal(id[7..19], berth.Ok("images", "-q", "--filter", "dangling=true").Trim());
        var pruned = berth.Ok("image", "prune", "-f");
        Assert.Contains($"deleted: {id}", pruned);
        Assert.Contains("Total reclaimed space:", pruned);
        Assert.Equal(id2[7..19], berth.Ok("images", "-q").Trim());
        // The layer is shared with the surviving image: still there.
        Assert.Single(Directory.GetDirectories(Path.Combine(berth.Root, "snapshots")));

        var all = berth.Ok("image", "prune", "-a", "-f");
        Assert.Contains("untagged: base:1", all);
        Assert.Equal("", berth.Ok("images", "-q"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(berth.Root, "snapshots")));
    }

    [Fact]
    public void SystemDfShowsSharedAndUniqueSizesThatAgreeWithImages()
    {
        // Two images on one base: the base layer is shared and counted once. As docker's, every size is the layers'
        // unpacked content (what `images` shows), so `images` and `system df` agree (issue 13: they once said 1.98MB
        // and 4.22MB for one image).
        var tar = bases.Require();
        var berth = Seeded(out _);
        var extra = _tmp.Combine("extra.tar");
        File.WriteAllBytes(extra, SaveLoadTests.MakeLayer(("big.bin", new string('x', 3_000_000))));
        berth.Ok("import", "--change", "ENV Z=1", tar, "base:2");
        berth.Ok("import", extra, "extra:1");
        var df = berth.Ok("system", "df", "-v");
        Assert.Contains("SHARED SIZE", df);
        Assert.Contains("UNIQUE SIZE", df);
        var baseRow = df.Split('\n').First(l => l.StartsWith("base ", StringComparison.Ordinal));
        var cells = MultiSpace().Split(baseRow.Trim());
        // REPOSITORY TAG ID CREATED... SIZE SHARED UNIQUE CONTAINERS: shared is non-zero, unique is zero.
        Assert.Equal("0B", cells[^2]);
        Assert.NotEqual("0B", cells[^3]);

        var sizes = berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l.Split(' ')[0], l => l.Split(' ')[1]);
        Assert.Equal(sizes["base:2"], cells[^4]); // the per-image SIZE of df -v is the one images shows
        var summary = berth.Ok("system", "df", "--format", "{{.Type}} {{.Size}}");
        var imagesLine = summary.Split('\n').First(l => l.StartsWith("Images ", StringComparison.Ordinal));
        double reported = ParseHuman(imagesLine.Split(' ')[1]);
        // base:1 and base:2 share their one layer: it counts once.
        double expected = ParseHuman(sizes["base:2"]) + ParseHuman(sizes["extra:1"]);
        Assert.InRange(reported, expected * 0.98, expected * 1.02);
    }

    private static double ParseHuman(string s)
    {
        var m = Regex.Match(s, @"^([\d.]+)([kMGT]?B)$");
        double v = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return v * m.Groups[2].Value switch { "kB" => 1e3, "MB" => 1e6, "GB" => 1e9, "TB" => 1e12, _ => 1 };
    }

    [Fact]
    public void SystemCheckFindsCorruptionAndRepairRemovesDebris()
    {
        var berth = Seeded(out var id);
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
        // Debris: an unfinished ingest and a half-built snapshot, as a crash leaves them.
        File.WriteAllText(Path.Combine(berth.Root, "ingest", "ingest-leftover"), "partial");
        Directory.CreateDirectory(Path.Combine(berth.Root, "snapshots", "new-leftover", "fs"));
        var withDebris = berth.Run("system", "check");
        Assert.Equal(0, withDebris.ExitCode);
        Assert.Contains("DEBRIS", withDebris.Stdout);
        Assert.Equal(0, berth.Run("system", "check", "--repair").ExitCode);
        Assert.DoesNotContain("DEBRIS", berth.Ok("system", "check"));
        Assert.False(File.Exists(Path.Combine(berth.Root, "ingest", "ingest-leftover")));

        // Corruption: a flipped byte in the config blob is an error naming the blob.
        var config = Path.Combine(berth.Root, "blobs", "sha256", id[7..]);
        var bytes = File.ReadAllBytes(config);
        bytes[5] ^= 1;
        File.WriteAllBytes(config, bytes);
        var bad = berth.Run("system", "check");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains(id, bad.Stdout);
    }

    [Fact]
    public void SystemPruneRemovesStoppedContainersDanglingImagesAndBuildCache()
    {
        // docker system prune: stopped containers go first, so the images they held can go too.
        var berth = Seeded(out var id);
        var ctx = _tmp.Combine("ctx");
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM base:1\nCOPY f /f\n");
        File.WriteAllText(Path.Combine(ctx, "f"), "data");
        berth.Ok("build", "-q", "-t", "built:1", ctx);
        var container = berth.Run("run", "--name", "stopped", "built:1", "true");
        Assert.True(container.ExitCode == 0, container.ToString());
        berth.Ok("import", "--change", "ENV V=2", bases.Require(), "base:1"); // the old base:1 is now dangling
        var prune = berth.Ok("system", "prune", "-f");
        Assert.Contains("Deleted Containers:", prune);
        Assert.Contains($"deleted: {id}", prune);
        Assert.Contains("Total reclaimed space:", prune);
        Assert.Equal("", berth.Ok("ps", "-aq").Trim());
        Assert.DoesNotContain(id[7..19], berth.Ok("images", "-q"));
        // built:1 is tagged, so it stays; its cache records are gone.
        Assert.Contains("built", berth.Ok("images"));
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
    }

    [Fact]
    public void HistoryShowsTheImportEntry()
    {
        var berth = Seeded(out var id);
        var h = berth.Ok("history", "base:1");
        Assert.Contains("IMAGE", h);
        Assert.Contains(id[7..19], h);
        Assert.Contains("Imported from", h);
        Assert.Equal(id[7..19], berth.Ok("history", "-q", "base:1").Trim());
    }

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultiSpace();

    public void Dispose() => _tmp.Dispose();
}
