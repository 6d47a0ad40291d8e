using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>Issue 14, defect 2: <c>run -d</c> racing <c>rm -f</c> on one name. A bounded version of the race that
/// scripts/race-run-rm runs at full size (figures in docs/robustness.md).</summary>
[Collection("containers")]
public sealed partial class RunRemoveRaceTests(BusyboxFixture image)
{
    /// <summary>The only failure the race may produce: the name is taken, by a container that existed.</summary>
    [GeneratedRegex("""^berth: Conflict\. The container name "/racer" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$""")]
    private static partial Regex NameConflict();

    [Fact]
    public void RunDetachedRacingForcedRemoveLeaksNothingAndFailsClearly()
    {
        // Scripts start and remove containers by name concurrently (CI jobs, compose-like tools): a container
        // that `run` reported started must be visible until removed, and removal must leave no process, cgroup,
        // mount or state behind, whatever the interleaving. Before the fix this leaked running containers and
        // failed with "rootfs … does not exist", "the monitor exited (status 6)" and a conflict naming "".
        using var s = new ContainerStore(image);
        const int Loops = 2, OpsPerLoop = 10;
        var runs = new ConcurrentBag<(RunResult Result, string CidFile)>();
        var removals = new ConcurrentBag<RunResult>();
        var sw = Stopwatch.StartNew();
        var loops = new List<Thread>();
        for (var l = 0; l < Loops; l++)
        {
            var loop = l;
            loops.Add(new Thread(() =>
            {
                for (var i = 0; i < OpsPerLoop; i++)
                {
                    var cid = s.Dir.Combine($"cid-{loop}-{i}");
                    runs.Add((s.Run("run", "-d", "--cidfile", cid, "--name", "racer", "busybox", "sleep", "301"), cid));
                }
            }));
            loops.Add(new Thread(() =>
            {
                for (var i = 0; i < OpsPerLoop; i++) removals.Add(s.Run("rm", "-f", "racer"));
            }));
        }
        foreach (var t in loops) t.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(150);
        foreach (var t in loops) Assert.True(t.Join(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero), "the race did not finish in 150 s");
        var elapsed = sw.Elapsed;

        // --cidfile is written as soon as the record exists: every container the race created, started or not.
        var created = runs.Where(r => File.Exists(r.CidFile)).Select(r => File.ReadAllText(r.CidFile).Trim()).ToHashSet();
        var listed = s.AllIds().ToHashSet();
        Assert.True(listed.Count <= 1, $"one name, yet {listed.Count} containers listed");
        foreach (var r in runs.Select(r => r.Result).Where(r => r.ExitCode == 0))
        {
            var id = r.Stdout.Trim();
            Assert.Matches("^[0-9a-f]{64}$", id);
            Assert.Contains(id, created);
            if (listed.Contains(id))
                // Still there: then it is running (nothing else stops it).
                Assert.Equal("true\n", s.Ok("inspect", "-f", "{{.State.Running}}", id));
            else
                // Gone: an rm removed it, all of it.
                AssertNoTrace(s, id);
        }
        foreach (var r in runs.Select(r => r.Result).Where(r => r.ExitCode != 0))
        {
            Assert.Equal(125, r.ExitCode);
            Assert.Matches(NameConflict(), r.Stderr);
        }
        // rm -f of a name that another rm removed first is silent, as docker's.
        foreach (var r in removals) Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        Assert.Contains(runs, r => r.Result.ExitCode == 0);

        if (listed.Count > 0) s.Ok(["rm", "-f", .. listed]);
        Assert.Empty(s.AllIds());
        foreach (var id in created) AssertNoTrace(s, id);
        AssertNoProcessOf(s, created);
        s.AssertClean(created);
        Assert.Empty(s.Berth.LeftoverCgroups());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(s.Root, "containers")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(s.Root, "locks", "containers")));
        Assert.True(elapsed < TimeSpan.FromSeconds(150), $"{elapsed}");
    }

    private static void AssertNoTrace(ContainerStore s, string id)
    {
        Assert.False(Directory.Exists(Path.Combine(s.Root, "containers", id)), $"bundle of {id} left");
        Assert.False(Directory.Exists(Path.Combine(s.Berth.StateDir, "runtime", id)), $"runtime state of {id} left");
        foreach (var parent in s.Berth.CgroupParentDirs)
            Assert.False(Directory.Exists(Path.Combine(parent, id)), $"cgroup {parent}/{id} left");
    }

    /// <summary>No process whose command line names the store (a monitor) or whose cgroup names one of its
    /// containers (a container's processes). A process killed by the race may still be exiting, or a zombie its
    /// parent has not reaped yet, when the last rm returns (seen on a loaded machine: an empty command line in a
    /// removed cgroup); those are given 10 s to go, anything else fails at once.</summary>
    private static void AssertNoProcessOf(ContainerStore s, IReadOnlyCollection<string> ids)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var left = ProcessesOf(s, ids);
            if (left.Count == 0) return;
            var exiting = left.All(p => p.Cmdline.Length == 0 || p.State is 'Z' or 'X');
            Assert.True(exiting && DateTime.UtcNow < deadline, string.Join("\n", left.Select(p => p.Describe())));
            Thread.Sleep(100);
        }
    }

    private sealed record LeftProcess(int Pid, string Cmdline, char State, string PPid, string Why)
    {
        public string Describe() => $"process {Pid} (state {State}, parent {PPid}) left {Why}: {Cmdline}";
    }

    private static List<LeftProcess> ProcessesOf(ContainerStore s, IReadOnlyCollection<string> ids)
    {
        var left = new List<LeftProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var cgroup = File.ReadAllText(Path.Combine(dir, "cgroup"));
                var why = cmdline.Contains(s.Root, StringComparison.Ordinal) ? "naming the store"
                    : ids.FirstOrDefault(id => cgroup.Contains(id, StringComparison.Ordinal)) is { } id ? $"in the cgroup of {id}" : null;
                if (why is null) continue;
                left.Add(Left(pid, cmdline, File.ReadAllText(Path.Combine(dir, "status")), why));
            }
            catch (IOException)
            {
                continue;
            }
        }
        return left;
    }

    private static LeftProcess Left(int pid, string cmdline, string status, string why)
    {
        var state = Field(status, "State:");
        return new LeftProcess(pid, cmdline, state.Length > 0 ? state[0] : '?', Field(status, "PPid:"), why);
    }

    private static string Field(string status, string name) =>
        status.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim() ?? "";
}
