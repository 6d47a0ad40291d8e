using System.Net;
using System.Text.Json;

namespace Berth.Api.Tests;

/// <summary><c>/containers/{id}/stats</c> and <c>/update</c> through the docker CLI and raw requests.</summary>
[Collection("api")]
public sealed class StatsUpdateTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StatsInDockerdsShapeAndUpdateThroughTheCli()
    {
        // docker stats computes its columns from dockerd's JSON (two readings for CPU %, usage less inactive file
        // pages, pids_stats); docker update goes through POST /update and is seen in inspect and in the cgroup.
        using var s = new ApiStore(image);
        s.DockerOk("run", "-d", "--name", "c1", "busybox:latest", "sh", "-c", "sleep 300; true");
        var row = s.DockerOk("stats", "--no-stream", "--format", "{{.Name}}|{{.PIDs}}|{{.MemUsage}}", "c1").Trim().Split('|');
        Assert.Equal("c1", row[0]);
        Assert.Equal("2", row[1]);
        Assert.DoesNotMatch("^0B ", row[2]);

        using var http = s.Daemon.Http();
        var once = JsonDocument.Parse(await http.GetStringAsync("/v1.47/containers/c1/stats?stream=false", Ct)).RootElement;
        Assert.Equal("/c1", once.GetProperty("name").GetString());
        Assert.True(once.GetProperty("cpu_stats").GetProperty("cpu_usage").GetProperty("total_usage").GetUInt64() > 0);
        // stream=false waits for a second reading, so the client has a previous one to compute CPU % from.
        Assert.True(once.GetProperty("precpu_stats").GetProperty("system_cpu_usage").GetUInt64() > 0);
        Assert.True(once.GetProperty("cpu_stats").GetProperty("system_cpu_usage").GetUInt64() > once.GetProperty("precpu_stats").GetProperty("system_cpu_usage").GetUInt64());
        var memory = once.GetProperty("memory_stats");
        Assert.True(memory.GetProperty("usage").GetUInt64() > 0 && memory.GetProperty("limit").GetUInt64() > 0);
        Assert.True(memory.GetProperty("stats").TryGetProperty("inactive_file", out _) || memory.GetProperty("stats").TryGetProperty("total_inactive_file", out _));
        Assert.Equal(2UL, once.GetProperty("pids_stats").GetProperty("current").GetUInt64());
        var oneShot = JsonDocument.Parse(await http.GetStringAsync("/v1.47/containers/c1/stats?stream=false&one-shot=true", Ct)).RootElement;
        Assert.False(oneShot.GetProperty("precpu_stats").TryGetProperty("system_cpu_usage", out _));
        using (var bad = await http.GetAsync("/v1.47/containers/c1/stats?stream=true&one-shot=true", Ct))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        Assert.Equal("c1\n", s.DockerOk("update", "--memory", "64m", "--memory-swap", "128m", "--restart", "on-failure:3", "c1"));
        Assert.Equal("67108864 134217728 on-failure 3\n",
            s.DockerOk("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "c1"));
        Assert.EndsWith(" / 64MiB", s.DockerOk("stats", "--no-stream", "--format", "{{.MemUsage}}", "c1").Trim());
        var conflict = s.Docker("update", "--memory", "256m", "c1");
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("Memory limit should be smaller than already set memoryswap limit", conflict.Stderr);
        s.DockerOk("rm", "-f", "c1");
    }
}
