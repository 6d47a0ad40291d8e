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
    public async Task HalfACpuHoldsABusyLoopNearHalfACore()
    {
        // --cpus 0.5: the CFS quota throttles a busy loop to about 50% of one core. Measured from the init's own
        // CPU time over a few seconds, with a generous tolerance (the machine is shared).
        fx.Require();
        var id = fx.NextId("cpu");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "while :; do :; done"], Cpus = 0.5m });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        c.Start();
        await Task.Delay(500, TestContext.Current.CancellationToken);
        var t0 = CpuTicks(c.Pid);
        var w0 = Environment.TickCount64;
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        var used = (CpuTicks(c.Pid) - t0) / 100.0 / ((Environment.TickCount64 - w0) / 1000.0);
        var paths = fx.CgroupPaths(id);
        var stat = File.ReadAllText(Path.Combine(paths.TryGetValue("cpu", out var cpu) ? cpu : paths[""], "cpu.stat"));
        runtime.Delete(id, force: true);
        await c.WaitAsync(TestContext.Current.CancellationToken);
        Assert.InRange(used, 0.2, 0.7);
        Assert.Contains("nr_throttled", stat);
        Assert.DoesNotContain("nr_throttled 0\n", stat);
        fx.AssertClean(bundle.Path);
    }

    private static long CpuTicks(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
