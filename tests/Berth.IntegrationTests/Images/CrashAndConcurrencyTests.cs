using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Berth.Testing;
using static Berth.IntegrationTests.Images.SaveLoadTests;

namespace Berth.IntegrationTests.Images;

[Collection("images")]
[Trait("Category", "Integration")]
public sealed class CrashAndConcurrencyTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    /// <summary>An OCI archive of three layers of incompressible files (about 3 × 24 MB).</summary>
    private string LargeArchive()
    {
        var rng = new Random(42);
        var layers = new List<byte[]>();
        for (int l = 0; l < 3; l++)
        {
            using var ms = new MemoryStream();
            using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            {
                for (int f = 0; f < 400; f++)
                {
                    var data = new byte[f % 50 == 0 ? 2_000_000 : 8_000];
                    rng.NextBytes(data);
                    Add(w, $"layer{l}/dir{f % 20}/file{f}", data);
                }
            }
            layers.Add(ms.ToArray());
        }
        string Hex(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));
        var diffs = string.Join(",", layers.Select(l => $"\"sha256:{Hex(l)}\""));
        var config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[{{{diffs}}}]}}""");
        var layerDescs = string.Join(",", layers.Select(l => $$$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{{{Hex(l)}}}","size":{{{l.Length}}}}"""));
        var manifest = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{{{Hex(config)}}}","size":{{{config.Length}}}},"layers":[{{{layerDescs}}}]}""");
        var index = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{Hex(manifest)}}}","size":{{{manifest.Length}}},"annotations":{"io.containerd.image.name":"docker.io/library/large:1"}}]}""");
        var path = _tmp.Combine("large.tar");
        using var tw = new TarWriter(File.Create(path), TarEntryFormat.Pax);
        Add(tw, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        foreach (var l in layers) Add(tw, "blobs/sha256/" + Hex(l), l);
        Add(tw, "blobs/sha256/" + Hex(config), config);
        Add(tw, "blobs/sha256/" + Hex(manifest), manifest);
        Add(tw, "index.json", index);
        return path;
    }

    [Fact]
    public void KillingLoadAtAnyPointLeavesACleanStoreAndARetryWorks()
    {
        // A crash (SIGKILL) at any point of a load must leave at most unreferenced debris: `system check` clean,
        // no tag pointing at a partial image, and the next load succeeds.
        bases.Require();
        var archive = LargeArchive();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("images");
        int killedBeforeEnd = 0;
        foreach (int delayMs in new[] { 20, 60, 120, 200, 320, 500, 800 })
        {
            var psi = new ProcessStartInfo(RepoPaths.BerthBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--root", berth.Root, "load", "-i", archive }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            Thread.Sleep(delayMs);
            if (!p.HasExited)
            {
                p.Kill();
                killedBeforeEnd++;
            }
            p.WaitForExit();
            var check = berth.Run("system", "check");
            Assert.True(check.ExitCode == 0, $"after SIGKILL at {delayMs} ms:\n{check}");
            var images = berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}");
            if (images.Contains("large:1"))
            {
                // Committed before the kill: then it must be whole.
                Assert.DoesNotContain("ERROR", check.Stdout);
                berth.Ok("rmi", "large:1");
            }
        }
        Assert.True(killedBeforeEnd >= 3, $"only {killedBeforeEnd} loads were killed before they finished: the archive is too small to test crashes");
        Assert.Equal("Loaded image: large:1", berth.Ok("load", "-i", archive).Trim());
        Assert.Equal(0, berth.Run("system", "check").ExitCode);
        berth.Ok("system", "check", "--repair");
        Assert.DoesNotContain("DEBRIS", berth.Ok("system", "check"));
        Assert.Contains("large:1", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
    }

    [Fact]
    public void KillingRmiAndPruneLeavesACleanStore()
    {
        // Removal is a metadata transaction, then a sweep: a kill at any point leaves only debris.
        var tar = bases.Require();
        var archive = LargeArchive();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        foreach (int delayMs in new[] { 5, 30, 80, 150 })
        {
            berth.Ok("load", "-i", archive);
            berth.Ok("import", tar, "other:1");
            foreach (var args in new[] { new[] { "rmi", "large:1" }, new[] { "image", "prune", "-a", "-f" } })
            {
                var psi = new ProcessStartInfo(RepoPaths.BerthBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "--root", berth.Root }.Concat(args)) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                Thread.Sleep(delayMs);
                if (!p.HasExited) p.Kill();
                p.WaitForExit();
                var check = berth.Run("system", "check");
                Assert.True(check.ExitCode == 0, $"after SIGKILL of {string.Join(' ', args)} at {delayMs} ms:\n{check}");
            }
            berth.Run("image", "prune", "-a", "-f");
        }
        berth.Ok("system", "check", "--repair");
        Assert.Equal("", berth.Ok("images", "-q"));
        Assert.Empty(Directory.GetFiles(Path.Combine(berth.Root, "blobs", "sha256")));
    }

    [Fact]
    public async Task EightProcessesImportingTaggingAndRemovingAtOnce()
    {
        // Many berth processes share one store safely: file locks and SQLite transactions serialise the changes.
        var tar = bases.Require();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "victim:0");
        var small = _tmp.Combine("small.tar");
        File.WriteAllBytes(small, MakeLayer(("f.txt", "small")));
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            var results = new List<RunResult>
            {
                berth.Run("import", "--change", $"ENV N={i}", i % 2 == 0 ? tar : small, $"proc{i}:1"),
                berth.Run("tag", $"proc{i}:1", $"alias{i}:x"),
                berth.Run("tag", "victim:0", $"victim:{i + 1}"),
                berth.Run("import", small, $"temp{i}:1"),
                berth.Run("rmi", $"temp{i}:1"),
                berth.Run("rmi", $"victim:{i + 1}"),
            };
            return results;
        })).ToArray();
        var all = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        foreach (var r in all.SelectMany(x => x)) Assert.True(r.ExitCode == 0, r.ToString());

        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        var tags = berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        for (int i = 0; i < 8; i++)
        {
            Assert.Contains($"proc{i}:1", tags);
            Assert.Contains($"alias{i}:x", tags);
            Assert.DoesNotContain($"temp{i}:1", tags);
            Assert.DoesNotContain($"victim:{i + 1}", tags);
        }
        Assert.Contains("victim:0", tags);
    }

    /// <summary>Processes whose command line is exactly <paramref name="argv"/> (NUL-separated, as /proc has it).</summary>
    internal static List<int> ProcessesRunning(params string[] argv)
    {
        var wanted = string.Join('\0', argv) + "\0";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")) == wanted) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>Cgroup directories (v1 hierarchies or v2) of the given container IDs that still exist.</summary>
    internal static List<string> CgroupsOf(IEnumerable<string> ids)
    {
        var roots = Directory.Exists("/sys/fs/cgroup/berth") ? ["/sys/fs/cgroup/berth"] : Directory.GetDirectories("/sys/fs/cgroup").Select(d => Path.Combine(d, "berth"));
        return [.. from r in roots from id in ids let dir = Path.Combine(r, id) where Directory.Exists(dir) select dir];
    }

    /// <summary>Lines of this mount namespace's mountinfo naming the store root.</summary>
    internal static List<string> MountsUnder(string root) => [.. File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(root, StringComparison.Ordinal))];

    /// <summary>Starts a build of a RUN step that says "started" and then sleeps for <paramref name="marker"/>
    /// seconds, and returns once the step's process runs.</summary>
    private Process StartSleepingBuild(Testing.Berth berth, string context, int marker)
    {
        var psi = new ProcessStartInfo(RepoPaths.BerthBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--root", berth.Root, "build", "--progress=plain", "-t", "slept:1", context }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var seen = new StringBuilder();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (ProcessesRunning("sleep", marker.ToString(System.Globalization.CultureInfo.InvariantCulture)).Count == 0)
        {
            var line = p.StandardError.ReadLine();
            Assert.True(line is not null && DateTime.UtcNow < deadline, $"the build ended before its RUN step started:\n{seen}");
            seen.AppendLine(line);
        }
        return p;
    }

    private string SleepContext(int marker)
    {
        var context = _tmp.Sub("ctx-" + marker);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM busybox\nARG SLEEP={marker}\nRUN echo started && sleep $SLEEP\n");
        return context;
    }

    [Theory]
    [InlineData("builder prune -f")]
    [InlineData("system prune -f")]
    [InlineData("system check --repair")]
    public void ABuildKilledDuringARunStepLeavesAnOrphanThatCheckReportsAndCleanupsRemove(string cleanup)
    {
        // Issue 14, defect 7: a SIGKILLed build leaves its RUN step running (its processes, cgroup and bundle)
        // until the next build. system check must name it, and --repair, builder prune and system prune end it.
        var tar = bases.Require();
        var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "busybox:latest");
        int marker = 7000 + Random.Shared.Next(2000);
        var context = SleepContext(marker);
        using (var build = StartSleepingBuild(berth, context, marker))
        {
            build.Kill(entireProcessTree: false); // SIGKILL to berth alone: the step's container is left to itself
            build.WaitForExit();
        }
        var steps = Directory.GetDirectories(Path.Combine(berth.Root, "runtime")).Select(Path.GetFileName).ToList();
        Assert.Single(steps);
        Assert.NotEmpty(ProcessesRunning("sleep", $"{marker}")); // the kill landed mid-step: the orphan is there

        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"DEBRIS build step {steps[0]} of an interrupted build (running, pid ", check.Stdout);

        var r = berth.Run(cleanup.Split(' '));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(ProcessesRunning("sleep", $"{marker}"));
        Assert.Empty(CgroupsOf(steps!));
        Assert.Empty(MountsUnder(berth.Root));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "runtime")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "builds")));
        var after = berth.Ok("system", "check");
        Assert.DoesNotContain("DEBRIS", after);
        Assert.Contains("busybox:latest", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        var retry = berth.Run("build", "-t", "slept:1", "--build-arg", "SLEEP=0", context);
        Assert.True(retry.ExitCode == 0, retry.ToString());
    }

    public void Dispose() => _tmp.Dispose();
}
