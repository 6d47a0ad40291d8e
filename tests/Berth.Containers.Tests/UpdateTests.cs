using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>update</c> (issue 13): limits changed live in the cgroup, and kept for inspect and the next start.</summary>
[Collection("containers")]
public sealed class UpdateTests(BusyboxFixture image)
{
    private const string ReadLimits =
        "for f in memory.max memory.swap.max pids.max cpu.max cpu.weight cpuset.cpus memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes " +
        "pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpuset/cpuset.cpus; " +
        "do [ -f /sys/fs/cgroup/$f ] && echo \"$f=$(cat /sys/fs/cgroup/$f)\"; done; true";

    [Fact]
    public void UpdateChangesTheCgroupOfARunningContainerAndKeepsItForTheNextStart()
    {
        // Raising a limit of a live service without restarting it is what update is for.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "u", "-m", "64m", "busybox", "sleep", "600");
        Assert.Equal("u\n", s.Ok("update", "-m", "300m", "--memory-swap", "600m", "--cpus", "0.5", "--cpu-shares", "512", "--pids-limit", "50",
            "--cpuset-cpus", "0", "--restart", "on-failure:3", "u"));
        var expected = Expected(300L << 20, 600L << 20, 50, "50000", 512, "0");
        AssertSame(expected, Limits(s.Ok("exec", "u", "sh", "-c", ReadLimits)));
        Assert.Equal($"{300L << 20} {600L << 20} 500000000 512 50 0 on-failure 3\n", s.Ok("inspect", "-f",
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpusetCpus}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "u"));

        // Lowering works too, and a restart starts with the updated limits.
        s.Ok("update", "-m", "100m", "u");
        s.Ok("stop", "-t", "0", "u");
        s.Ok("start", "u");
        AssertSame(Expected(100L << 20, 600L << 20, 50, "50000", 512, "0"), Limits(s.Ok("exec", "u", "sh", "-c", ReadLimits)));
        s.Ok("update", "--pids-limit", "-1", "u");
        Assert.Equal("max", Limits(s.Ok("exec", "u", "sh", "-c", ReadLimits)).First(kv => kv.Key.EndsWith("pids.max", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void UpdateOfAStoppedContainerAppliesWhenItStarts()
    {
        using var s = new ContainerStore(image);
        s.Ok("create", "--name", "later", "busybox", "sh", "-c", ReadLimits);
        Assert.Equal("later\n", s.Ok("update", "-m", "80m", "--memory-swap", "160m", "--pids-limit", "30", "--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-shares", "256", "later"));
        var limits = Limits(s.Ok("start", "-a", "later"));
        AssertSame(Expected(80L << 20, 160L << 20, 30, "30000", 256, null), limits);
    }

    [Fact]
    public void UpdateRefusesWhatDockerRefuses()
    {
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "u", "busybox", "sleep", "600").Trim();
        var r = s.Run("update", "-m", "300m", "u");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Cannot update container {id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", r.Stderr);
        s.Ok("update", "--cpus", "0.5", "u");
        r = s.Run("update", "--cpu-quota", "50000", "u");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set", r.Stderr);
        r = s.Run("update", "u");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("you must provide one or more flags when using this command", r.Stderr);
        // Each container in turn: the missing one fails, the other is updated, and the exit says so.
        r = s.Run("update", "--restart", "always", "nope", "u");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("u\n", r.Stdout);
        Assert.Contains("No such container: nope", r.Stderr);
        s.Ok("run", "-d", "--rm", "--name", "gone", "busybox", "sleep", "600");
        r = s.Run("update", "--restart", "always", "gone");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Restart policy cannot be updated because AutoRemove is enabled for the container", r.Stderr);
        Assert.Equal(125, s.Run("update", "-m", "lots", "u").ExitCode);
    }

    private static Dictionary<string, string> Limits(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>The limit files of the host's cgroup version: v2 when this process's cgroup is unified.</summary>
    private static Dictionary<string, string> Expected(long memory, long swap, int pids, string quota, int shares, string? cpuset)
    {
        var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        var expected = v2
            ? new Dictionary<string, string>
            {
                ["memory.max"] = memory.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["memory.swap.max"] = (swap - memory).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["pids.max"] = pids.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cpu.max"] = quota + " 100000",
                // runc's conversion of cpu shares to cpu.weight.
                ["cpu.weight"] = (1 + (shares - 2) * 9999 / 262142).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }
            : new Dictionary<string, string>
            {
                ["memory/memory.limit_in_bytes"] = memory.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["memory/memory.memsw.limit_in_bytes"] = swap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["pids/pids.max"] = pids.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cpu/cpu.cfs_quota_us"] = quota,
                ["cpu/cpu.cfs_period_us"] = "100000",
                ["cpu/cpu.shares"] = shares.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        // Without swap accounting there is no swap file to read.
        if (!File.Exists(v2 ? "/sys/fs/cgroup/memory.swap.max" : "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") && !v2)
            expected.Remove("memory/memory.memsw.limit_in_bytes");
        if (cpuset is not null) expected[v2 ? "cpuset.cpus" : "cpuset/cpuset.cpus"] = cpuset;
        return expected;
    }

    private static void AssertSame(Dictionary<string, string> expected, Dictionary<string, string> actual) =>
        Assert.Equal(expected.OrderBy(e => e.Key), actual.Where(e => expected.ContainsKey(e.Key)).OrderBy(e => e.Key));
}
