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
    private string LargeArchive(int filesPerLayer = 400)
    {
        var rng = new Random(42);
        var layers = new List<byte[]>();
        for (int l = 0; l < 3; l++)
        {
            using var ms = new MemoryStream();
            using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            {
                for (int f = 0; f < filesPerLayer; f++)
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
        var path = _tmp.Combine($"large-{filesPerLayer}.tar");
        using var tw = new TarWriter(File.Create(path), TarEntryFormat.Pax);
        Add(tw, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        foreach (var l in layers) Add(tw, "blobs/sha256/" + Hex(l), l);
        Add(tw, "blobs/sha256/" + Hex(config), config);
        Add(tw, "blobs/sha256/" + Hex(manifest), manifest);
        Add(tw, "index.json", index);
        return path;
    }

    /// <summary>Starts <c>berth ARGS</c>, SIGKILLs it <paramref name="delayMs"/> after its start, and says whether
    /// the kill landed (the process was still running), so a trial that came too late cannot pass for one.</summary>
    private static bool KillAfter(Testing.Berth berth, int delayMs, params string[] args)
    {
        using var p = Process.Start(berth.StartInfo(args))!;
        p.StandardInput.Close();
        _ = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        // The moment of the kill is the variable under test: a delay, not a wait for readiness.
        p.WaitForExit(delayMs);
        bool landed = !p.HasExited;
        if (landed) p.Kill(entireProcessTree: false); // SIGKILL to berth alone, as a crash or the OOM killer would
        p.WaitForExit();
        return landed;
    }

    /// <summary>How long <c>berth ARGS</c> takes here and now, so kills spread over the operation however loaded
    /// the machine is.</summary>
    private static int TimeOf(Testing.Berth berth, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        berth.Ok(args);
        return (int)watch.ElapsedMilliseconds;
    }

    private static int[] Spread(int durationMs, int trials) =>
        [.. Enumerable.Range(0, trials).Select(i => Math.Max(1, durationMs * (2 * i + 1) / (2 * trials)))];

    /// <summary>One kind of operation killed at many moments, for docs/robustness.md.</summary>
    private sealed record Tally(string Operation)
    {
        public int Trials { get; set; }
        public int Landed { get; set; }
        public int WithDebris { get; set; }
        public int Orphans { get; set; }
        /// <summary>Kills that left work of the operation's own running on (a RUN step, a recorded container).</summary>
        public int Deep { get; set; }
        public override string ToString() => $"| {Operation} | {Trials} | {Landed} | {Deep} | {WithDebris} | {Orphans} |";
    }

    /// <summary>After a kill: <c>system check</c> finds no error; debris, if any, is only of the
    /// <paramref name="expectedDebris"/> kinds and <c>--repair</c> removes it; then nothing of the killed work is
    /// left: no process with <paramref name="markers"/> on its command line, no cgroup under the installation's
    /// cgroup parent, no mount naming the root, no runtime state or build bundle.</summary>
    private static void AssertRecovered(Testing.Berth berth, Tally tally, string moment, string expectedDebris, string[][] markers)
    {
        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, $"{tally.Operation} killed {moment}:\n{check}");
        var debris = check.Stdout.Split('\n').Where(l => l.StartsWith("DEBRIS ", StringComparison.Ordinal)).ToList();
        foreach (var d in debris)
            Assert.Matches(expectedDebris, d);
        if (debris.Count > 0)
        {
            tally.WithDebris++;
            var repair = berth.Run("system", "check", "--repair");
            Assert.True(repair.ExitCode == 0, $"{tally.Operation} killed {moment}: repair:\n{repair}");
        }
        var clean = berth.Run("system", "check");
        Assert.True(clean.ExitCode == 0 && !clean.Stdout.Contains("DEBRIS", StringComparison.Ordinal), $"{tally.Operation} killed {moment}: after repair:\n{clean}");

        var left = markers.SelectMany(m => ProcessesRunning(m)).Select(pid => $"process {pid}")
            .Concat(berth.LeftoverCgroups()).Concat(MountsUnder(berth.Root))
            .Concat(Directory.Exists(RuntimeDir(berth)) ? Directory.GetFileSystemEntries(RuntimeDir(berth)) : [])
            .Concat(Directory.Exists(Path.Combine(berth.Root, "builds")) ? Directory.GetFileSystemEntries(Path.Combine(berth.Root, "builds")) : [])
            .ToList();
        tally.Orphans += left.Count;
        Assert.True(left.Count == 0, $"{tally.Operation} killed {moment} left:\n{string.Join('\n', left)}");
    }

    private static string RuntimeDir(Testing.Berth berth) => Path.Combine(berth.StateDir, "runtime");

    /// <summary>The kinds of debris a kill may leave, as system check words them.</summary>
    private static string Debris(params string[] kinds) => $"^DEBRIS ({string.Join('|', kinds)})$";

    private static readonly string[] StoreKinds =
    [
        @"blob sha256:\w+: not referenced", @"snapshot sha256:\w+: (not referenced|directory without a record)",
        @"\S+/snapshots/(new|del)-\w+: unfinished snapshot", @"\S+/ingest/ingest-\w+: unfinished ingest",
    ];

    private static readonly string StoreDebris = Debris(StoreKinds);

    [Fact]
    public void KillingLoadAtAnyPointLeavesACleanStoreAndARetryWorks()
    {
        // A crash (SIGKILL) at any point of a load must leave at most unreferenced debris: `system check` clean,
        // no tag pointing at a partial image, and the next load succeeds.
        bases.Require();
        var archive = LargeArchive();
        using var berth = new Testing.Berth(_tmp.Combine("root"));
        int full = TimeOf(berth, "load", "-i", archive);
        berth.Ok("rmi", "large:1");
        var tally = new Tally("load");
        foreach (int delayMs in Spread(full, 5))
        {
            tally.Trials++;
            if (KillAfter(berth, delayMs, "load", "-i", archive)) tally.Landed++;
            var images = berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}");
            AssertRecovered(berth, tally, $"at {delayMs} of {full} ms", StoreDebris, []);
            // Committed before the kill: then it must be whole (check found no error), and it goes for the next trial.
            if (images.Contains("large:1", StringComparison.Ordinal)) berth.Ok("rmi", "large:1");
        }
        TestContext.Current.TestOutputHelper?.WriteLine(tally.ToString());
        Assert.True(tally.Landed >= 3, $"only {tally.Landed} of {tally.Trials} loads were killed before they finished: the trials test nothing");
        Assert.Equal("Loaded image: large:1", berth.Ok("load", "-i", archive).Trim());
        AssertRecovered(berth, tally, "never", "^$", []);
        Assert.Contains("large:1", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
    }

    [Fact]
    public void KillingRmiAndPruneLeavesACleanStore()
    {
        // Removal is a metadata transaction, then a sweep: a kill at any point leaves only debris, and a retry works.
        var tar = bases.Require();
        var archive = LargeArchive(filesPerLayer: 150);
        using var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("load", "-i", archive);
        berth.Ok("import", tar, "other:1");
        int rmi = TimeOf(berth, "rmi", "large:1");
        foreach (var (args, tally) in new[] { (new[] { "rmi", "large:1" }, new Tally("rmi")), (new[] { "image", "prune", "-a", "-f" }, new Tally("image prune")) })
        {
            foreach (int delayMs in Spread(rmi, 3))
            {
                berth.Ok("load", "-i", archive);
                berth.Ok("import", tar, "other:1");
                tally.Trials++;
                if (KillAfter(berth, delayMs, args)) tally.Landed++;
                AssertRecovered(berth, tally, $"at {delayMs} of {rmi} ms", StoreDebris, []);
                var retry = berth.Run(args);
                Assert.True(retry.ExitCode == 0 || retry.Stderr.Contains("No such image: large:1", StringComparison.Ordinal), retry.ToString());
                Assert.DoesNotContain("large:1", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
            }
            TestContext.Current.TestOutputHelper?.WriteLine(tally.ToString());
            Assert.True(tally.Landed >= 2, $"only {tally.Landed} of {tally.Trials} {tally.Operation} runs were killed before they finished");
        }
        berth.Ok("image", "prune", "-a", "-f");
        berth.Ok("system", "check", "--repair");
        Assert.Equal("", berth.Ok("images", "-q"));
        Assert.Empty(Directory.GetFiles(Path.Combine(berth.Root, "blobs", "sha256")));
    }

    [Fact]
    public void KillingBuildAndRunDetachedAtAnyMomentLeavesNoOrphan()
    {
        // Issue 14's adversarial suite: SIGKILL a build (through its RUN step) and `run -d` at moments spread over
        // their whole course. After each: system check clean (after --repair, for the debris a kill may leave),
        // no orphan process, cgroup or mount, and the operation works when tried again.
        var tar = bases.Require();
        using var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "busybox:latest");
        int marker = 7000 + Random.Shared.Next(2000);
        var context = SleepContext(marker);

        // How long until the RUN step runs: kills spread from the start of the build to past that moment.
        var watch = Stopwatch.StartNew();
        using (var first = StartSleepingBuild(berth, context, marker))
        {
            int toRun = (int)watch.ElapsedMilliseconds;
            first.Kill(entireProcessTree: false);
            first.WaitForExit();
            berth.Ok("system", "check", "--repair");
            var build = new Tally("build");
            foreach (int delayMs in Spread(toRun * 3 / 2, 6))
            {
                build.Trials++;
                if (KillAfter(berth, delayMs, "build", "-t", "slept:1", context)) build.Landed++;
                    if (ProcessesRunning("sleep", $"{marker}").Count > 0) build.Deep++; // killed while its RUN step ran
                AssertRecovered(berth, build, $"at {delayMs} ms (RUN after {toRun} ms)", Debris([.. StoreKinds, @"build step berth-build-\w+ of an interrupted build .*", @"\S+/builds/berth-build-\w+: bundle of an interrupted build step"]),
                    [["sleep", $"{marker}"]]);
            }
            TestContext.Current.TestOutputHelper?.WriteLine(build.ToString());
            Assert.True(build.Landed == build.Trials, "a build of an endless RUN step cannot finish before its kill");
        }
        var retry = berth.Run("build", "-t", "slept:1", "--build-arg", "SLEEP=0", context);
        Assert.True(retry.ExitCode == 0, retry.ToString());

        int runMarker = marker + 1;
        string[] run = ["run", "-d", "busybox", "sleep", $"{runMarker}"];
        int full = TimeOf(berth, run);
        var tally = new Tally("run -d");
        foreach (int delayMs in Spread(full, 8))
        {
            tally.Trials++;
            if (KillAfter(berth, delayMs, run)) tally.Landed++;
            // A container recorded before the kill is no orphan: it is listed, and rm -f removes all of it. A kill
            // between taking the container's lock and writing its record leaves the lock file (and maybe the bundle).
            var recorded = berth.Ok("ps", "-aq", "--no-trunc").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (recorded.Length > 0) tally.Deep++;
            if (recorded.Length > 0) berth.Ok(["rm", "-f", .. recorded]);
            AssertRecovered(berth, tally, $"at {delayMs} of {full} ms", Debris(@"\S+/containers/\w+: container directory without a container", @"\S+/locks/containers/\w+: lock of a container that does not exist"), [["sleep", $"{runMarker}"]]);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "containers")));
        }
        TestContext.Current.TestOutputHelper?.WriteLine(tally.ToString());
        Assert.True(tally.Landed >= 5, $"only {tally.Landed} of {tally.Trials} runs were killed before they finished");
        var id2 = berth.Ok(run).Trim();
        Assert.Equal("running", berth.Ok("inspect", "-f", "{{.State.Status}}", id2).Trim());
        berth.Ok("rm", "-f", id2);
    }

    [Fact]
    public async Task EightProcessesImportingTaggingAndRemovingAtOnce()
    {
        // Many berth processes share one store safely: file locks and SQLite transactions serialise the changes.
        var tar = bases.Require();
        using var berth = new Testing.Berth(_tmp.Combine("root"));
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

    /// <summary>Lines of this mount namespace's mountinfo naming the store root.</summary>
    internal static List<string> MountsUnder(string root) => [.. File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(root, StringComparison.Ordinal))];

    /// <summary>Starts a build of a RUN step that says "started" and then sleeps for <paramref name="marker"/>
    /// seconds, and returns once the step's process runs.</summary>
    private Process StartSleepingBuild(Testing.Berth berth, string context, int marker)
    {
        var p = Process.Start(berth.StartInfo("build", "--progress=plain", "-t", "slept:1", context))!;
        p.StandardInput.Close();
        _ = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var seen = new StringBuilder();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var line = p.StandardError.ReadLine();
            Assert.True(line is not null && DateTime.UtcNow < deadline, $"the build ended before its RUN step started:\n{seen}");
            seen.AppendLine(line);
            if (line.EndsWith(" started", StringComparison.Ordinal)) break;
        }
        // The step printed its line; its sleep follows at once (nothing more is printed, so poll, bounded).
        while (ProcessesRunning("sleep", $"{marker}").Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline && !p.HasExited, $"the RUN step's sleep never ran:\n{seen}");
            Thread.Sleep(5);
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
        using var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "busybox:latest");
        int marker = 7000 + Random.Shared.Next(2000);
        var context = SleepContext(marker);
        using (var build = StartSleepingBuild(berth, context, marker))
        {
            build.Kill(entireProcessTree: false); // SIGKILL to berth alone: the step's container is left to itself
            build.WaitForExit();
        }
        var steps = Directory.GetDirectories(RuntimeDir(berth)).Select(Path.GetFileName).ToList();
        Assert.Single(steps);
        Assert.NotEmpty(ProcessesRunning("sleep", $"{marker}")); // the kill landed mid-step: the orphan is there

        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        // Named with the runtime's view of it (running, or created when the kill fell between its create and start).
        Assert.Matches($@"DEBRIS build step {steps[0]} of an interrupted build \(\w+(, pid \d+)?, bundle ", check.Stdout);

        var r = berth.Run(cleanup.Split(' '));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(ProcessesRunning("sleep", $"{marker}"));
        Assert.Empty(MountsUnder(berth.Root));
        Assert.Empty(Directory.GetFileSystemEntries(RuntimeDir(berth)));
        Assert.Empty(berth.LeftoverCgroups());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(berth.Root, "builds")));
        var after = berth.Ok("system", "check");
        Assert.DoesNotContain("DEBRIS", after);
        Assert.Contains("busybox:latest", berth.Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        var retry = berth.Run("build", "-t", "slept:1", "--build-arg", "SLEEP=0", context);
        Assert.True(retry.ExitCode == 0, retry.ToString());
    }

    public void Dispose() => _tmp.Dispose();
}
