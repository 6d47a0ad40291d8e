using System.Globalization;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;

namespace Berth.Runtime.Tests.Integration;

/// <summary>Exit statuses as Docker reports them, and the cgroup limits holding under load.</summary>
[Collection("containers")]
public sealed class ExitAndLimitTests(RuntimeFixture fx)
{
    [Theory]
    [InlineData(new[] { "true" }, 0)]
    [InlineData(new[] { "sh", "-c", "exit 3" }, 3)]
    [InlineData(new[] { "/etc/passwd" }, 126)]
    [InlineData(new[] { "/etc" }, 126)]
    [InlineData(new[] { "no-such-command" }, 127)]
    [InlineData(new[] { "/no/such/file" }, 127)]
    public void RunExitsWithTheCommandsStatus(string[] command, int expected)
    {
        // Scripts depend on these: the command's own code, 126 not executable, 127 not found.
        fx.Require();
        var id = fx.NextId("exit");
        using var bundle = fx.Bundle(id, new RunOptions { Command = command });
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == expected, r.ToString());
        if (expected >= 126) Assert.Contains(command[0], r.Stderr);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void InitFailuresAreReportedAs125()
    {
        // A failure of berth itself (here: a bind mount whose source does not exist) is 125, not the command's code.
        fx.Require();
        var id = fx.NextId("fail");
        using var bundle = fx.Bundle(id, new RunOptions
        {
            Command = ["true"],
            Binds = [new BindMount { Source = "/no/such/source", Destination = "/data" }],
        });
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("/no/such/source", r.Stderr);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task KilledBySignalIs128PlusN()
    {
        // 137 = 128 + SIGKILL, as docker reports a killed container.
        fx.Require();
        var id = fx.NextId("kill");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sleep", "60"] });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        c.Start();
        Assert.Equal(ContainerState.Running, runtime.State(id).Status);
        runtime.Kill(id, 9);
        var status = await c.WaitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(new ExitStatus(137, 9, false), status);
        Assert.Equal(ContainerState.Stopped, runtime.State(id).Status);
        runtime.Delete(id);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task MemoryHogIsOomKilledAndReported()
    {
        // --memory 64m: a process that needs 256 MiB is killed by the kernel (137), OOMKilled is detected, and the
        // host is unaffected.
        fx.Require();
        var id = fx.NextId("oom");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"], Memory = 64 << 20 });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        c.Start();
        var status = await c.WaitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(137, status.ExitCode);
        Assert.True(status.OomKilled);
        runtime.Delete(id);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task ForkBombIsContainedByThePidsLimit()
    {
        // --pids-limit 64: a fork bomb cannot pass the limit, and delete ends it in bounded time.
        fx.Require();
        var id = fx.NextId("bomb");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "b() { b | b & }; b; sleep 60"], PidsLimit = 64 });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        c.Start();
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var pidsDir = fx.CgroupPaths(id).TryGetValue("pids", out var p) ? p : fx.CgroupPaths(id)[""];
        var current = int.Parse(File.ReadAllText(Path.Combine(pidsDir, "pids.current")).Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(current, 1, 64);
        Assert.True(File.ReadAllText(Path.Combine(pidsDir, File.Exists(Path.Combine(pidsDir, "pids.events")) ? "pids.events" : "pids.max")).Length > 0);
        var started = Environment.TickCount64;
        runtime.Delete(id, force: true);
        Assert.True(Environment.TickCount64 - started < 10_000, "delete of a fork bomb took too long");
        await c.WaitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task HalfACpuNeverGivesABusyLoopMoreThanHalfACore()
    {
        // --cpus 0.5: a CFS quota of 50 ms per 100 ms period. What holds under any load: the quota is set and
        // enforced (bandwidth periods counted), the loop never gets more than half a core over a window (one
        // period's quota of slack), and whenever it got close to its quota it was throttled. How much it gets below
        // that depends on the machine's load and is not asserted.
        fx.Require();
        var id = fx.NextId("cpu");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "while :; do :; done"], Cpus = 0.5m });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        c.Start();
        var paths = fx.CgroupPaths(id);
        var dir = paths.TryGetValue("cpu", out var cpu) ? cpu : paths[""];
        Dictionary<string, long> CpuStat() => File.ReadAllLines(Path.Combine(dir, "cpu.stat")).Select(l => l.Split(' '))
            .ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
        var quota = File.Exists(Path.Combine(dir, "cpu.max"))
            ? File.ReadAllText(Path.Combine(dir, "cpu.max")).Trim()
            : $"{File.ReadAllText(Path.Combine(dir, "cpu.cfs_quota_us")).Trim()} {File.ReadAllText(Path.Combine(dir, "cpu.cfs_period_us")).Trim()}";

        // The wall-clock window is read outside the CPU-time reads, so a descheduled test can only widen it.
        var w0 = Environment.TickCount64;
        var (t0, s0) = (CpuTicks(c.Pid), CpuStat());
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        var (t1, s1) = (CpuTicks(c.Pid), CpuStat());
        var w1 = Environment.TickCount64;
        runtime.Delete(id, force: true);
        await c.WaitAsync(TestContext.Current.CancellationToken);

        var seconds = (w1 - w0) / 1000.0;
        var used = (t1 - t0) / 100.0 / seconds;
        var throttled = s1["nr_throttled"] - s0["nr_throttled"];
        var report = $"used {used:0.000} of a core over {seconds:0.00} s, throttled in {throttled} of {s1["nr_periods"] - s0["nr_periods"]} periods";
        Assert.Equal("50000 100000", quota);
        Assert.True(s1["nr_periods"] > s0["nr_periods"], report);
        // 0.5 core plus one period's quota (50 ms) and a clock tick (10 ms) at each end of the window.
        Assert.True(used <= 0.5 + (0.05 + 0.02) / seconds, report);
        if (used >= 0.45) Assert.True(throttled > 0, report);
        fx.AssertClean(bundle.Path);
    }

    private static long CpuTicks(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
