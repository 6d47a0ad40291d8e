using System.Diagnostics;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>Health checks run as dockerd runs them (issue 13): the image's HEALTHCHECK or <c>--health-*</c>, probed
/// while the container runs, with the status, streak and log in inspect, ps and events.</summary>
[Collection("containers")]
public sealed class HealthTests(BusyboxFixture image)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public void APassingCheckMakesTheContainerHealthyInInspectPsAndEvents()
    {
        // A user waits for "(healthy)" before sending traffic; scripts poll .State.Health.Status.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "ok", "--health-cmd", "echo probing; exit 0", "--health-interval", "200ms", "busybox", "sleep", "600");
        var health = WaitForHealth(s, "ok", h => h.GetProperty("Status").GetString() == "healthy");
        Assert.Equal(0, health.GetProperty("FailingStreak").GetInt32());
        var entry = health.GetProperty("Log")[0];
        Assert.Equal(0, entry.GetProperty("ExitCode").GetInt32());
        Assert.Equal("probing\n", entry.GetProperty("Output").GetString());
        Assert.True(DateTimeOffset.Parse(entry.GetProperty("End").GetString()!) >= DateTimeOffset.Parse(entry.GetProperty("Start").GetString()!));

        Assert.Matches(@"^Up .* \(healthy\)$", s.Ok("ps", "--format", "{{.Status}}", "--filter", "name=ok").Trim());
        Assert.Equal("ok\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "health=healthy"));
        Assert.Equal("", s.Ok("ps", "-q", "--filter", "health=unhealthy"));
        Assert.Equal("", s.Ok("ps", "-q", "--filter", "health=none"));
        Assert.Equal("{\"Test\":[\"CMD-SHELL\",\"echo probing; exit 0\"],\"Interval\":200000000}\n", s.Ok("inspect", "-f", "{{json .Config.Healthcheck}}", "ok"));
        var events = s.Ok("events", "--since", "0", "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", "container=ok", "--format", "{{.Action}}");
        Assert.Contains("health_status: healthy", events.Split('\n'));
    }

    [Fact]
    public void StartingIsShownUntilTheFirstProbeAndNoneForAContainerWithoutACheck()
    {
        // docker probes first after one interval: until then the container is "starting".
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "slow", "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "600");
        s.Ok("run", "-d", "--name", "plain", "busybox", "sleep", "600");
        Assert.Equal("{\"Status\":\"starting\",\"FailingStreak\":0,\"Log\":[]}\n", s.Ok("inspect", "-f", "{{json .State.Health}}", "slow"));
        Assert.Matches(@"^Up .* \(health: starting\)$", s.Ok("ps", "--format", "{{.Status}}", "--filter", "name=slow").Trim());
        Assert.Equal("slow\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "health=starting"));
        Assert.Equal("plain\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "health=none"));
        Assert.DoesNotContain("(", s.Ok("ps", "--format", "{{.Status}}", "--filter", "name=plain"));
        // As docker's: no Health at all without a check, so a template naming it fails.
        Assert.DoesNotContain("Health", s.Ok("inspect", "-f", "{{json .State}}", "plain"));
        var bad = s.Run("ps", "--filter", "health=bogus");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Unrecognised filter value for health: bogus", bad.Stderr);
    }

    [Fact]
    public void FailuresUpToTheRetriesMakeItUnhealthyAndTheLogKeepsTheLastFive()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "bad", "--health-cmd", "echo no >&2; exit 3", "--health-interval", "100ms", "--health-retries", "2", "busybox", "sleep", "600");
        var first = WaitForHealth(s, "bad", h => h.GetProperty("FailingStreak").GetInt32() >= 1);
        // One failure is not enough with two retries.
        if (first.GetProperty("FailingStreak").GetInt32() == 1) Assert.Equal("starting", first.GetProperty("Status").GetString());
        var health = WaitForHealth(s, "bad", h => h.GetProperty("FailingStreak").GetInt32() >= 6);
        Assert.Equal("unhealthy", health.GetProperty("Status").GetString());
        var log = health.GetProperty("Log");
        Assert.Equal(5, log.GetArrayLength());
        Assert.Equal(3, log[4].GetProperty("ExitCode").GetInt32());
        Assert.Equal("no\n", log[4].GetProperty("Output").GetString());
        Assert.Matches(@"^Up .* \(unhealthy\)$", s.Ok("ps", "--format", "{{.Status}}", "--filter", "name=bad").Trim());
        Assert.Equal("bad\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "health=unhealthy"));
    }

    [Fact]
    public void AProbePastItsTimeoutIsKilledAndCountsAsAFailure()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "hang", "--health-cmd", "sleep 600", "--health-timeout", "300ms", "--health-interval", "100ms", "--health-retries", "1",
            "busybox", "sleep", "600");
        var health = WaitForHealth(s, "hang", h => h.GetProperty("Status").GetString() == "unhealthy");
        var entry = health.GetProperty("Log")[0];
        Assert.Equal(-1, entry.GetProperty("ExitCode").GetInt32());
        Assert.Equal("Health check exceeded timeout (300ms)", entry.GetProperty("Output").GetString());
    }

    [Fact]
    public void FailuresInsideTheStartPeriodDoNotCountAndAPassEndsIt()
    {
        // A slow service may fail its first checks while it starts: the start period forgives them.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "boot", "--health-cmd", "test -f /tmp/ready", "--health-interval", "1h", "--health-start-period", "1h",
            "--health-start-interval", "100ms", "--health-retries", "1", "busybox", "sleep", "600");
        var health = WaitForHealth(s, "boot", h => h.GetProperty("Log").GetArrayLength() >= 3);
        Assert.Equal("starting", health.GetProperty("Status").GetString());
        Assert.Equal(0, health.GetProperty("FailingStreak").GetInt32());
        Assert.Equal(1, health.GetProperty("Log")[0].GetProperty("ExitCode").GetInt32());
        // The start interval (100ms), not the interval (1h), paces the checks while starting.
        s.Ok("exec", "boot", "touch", "/tmp/ready");
        WaitForHealth(s, "boot", h => h.GetProperty("Status").GetString() == "healthy");
    }

    [Fact]
    public void TheImagesHealthcheckRunsAndFlagsOverrideOrDisableIt()
    {
        using var s = new ContainerStore(image);
        var context = s.Dir.Combine("ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"),
            "FROM busybox\nHEALTHCHECK --interval=100ms --timeout=5s --retries=1 CMD [\"sh\", \"-c\", \"head -c 5000 /dev/zero | tr '\\\\0' x; exit 1\"]\nEXPOSE 8080\n");
        s.Ok("build", "-q", "-t", "hc", context);
        s.Ok("run", "-d", "--name", "img", "hc", "sleep", "600");
        var health = WaitForHealth(s, "img", h => h.GetProperty("Status").GetString() == "unhealthy");
        var output = health.GetProperty("Log")[0].GetProperty("Output").GetString()!;
        // docker keeps 4096 bytes of output and marks the cut.
        Assert.Equal(new string('x', 4096) + "...", output);
        Assert.Equal("{\"8080/tcp\":{}}\n", s.Ok("inspect", "-f", "{{json .Config.ExposedPorts}}", "img"));

        // --health-* fields override the image's, the rest is kept (docker's merge).
        s.Ok("create", "--name", "merged", "--health-cmd", "true", "--health-retries", "4", "hc", "true");
        Assert.Equal("{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":100000000,\"Timeout\":5000000000,\"Retries\":4}\n",
            s.Ok("inspect", "-f", "{{json .Config.Healthcheck}}", "merged"));

        s.Ok("run", "-d", "--name", "off", "--no-healthcheck", "hc", "sleep", "600");
        // As dockerd 20.10 shows it: NONE, the image's other fields merged in.
        Assert.Equal("{\"Test\":[\"NONE\"],\"Interval\":100000000,\"Timeout\":5000000000,\"Retries\":1}\n", s.Ok("inspect", "-f", "{{json .Config.Healthcheck}}", "off"));
        Assert.DoesNotContain("Health\"", s.Ok("inspect", "-f", "{{json .State}}", "off"));
        Assert.Equal("off\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "health=none"));
    }

    [Theory]
    [InlineData(new[] { "--no-healthcheck", "--health-cmd", "true" }, "--no-healthcheck conflicts with --health-* options")]
    [InlineData(new[] { "--health-interval", "-1s" }, "--health-interval cannot be negative")]
    [InlineData(new[] { "--health-retries", "-1" }, "--health-retries cannot be negative")]
    [InlineData(new[] { "--health-timeout", "10us" }, "Timeout in Healthcheck cannot be less than 1ms")]
    [InlineData(new[] { "--health-start-period", "500us" }, "StartPeriod in Healthcheck cannot be less than 1ms")]
    [InlineData(new[] { "--health-interval", "abc" }, "invalid argument \"abc\" for \"--health-interval\" flag: time: invalid duration \"abc\"")]
    [InlineData(new[] { "--expose", "80:80" }, "invalid port format for --expose: 80:80")]
    [InlineData(new[] { "--expose", "90-80" }, "invalid range format for --expose: 90-80")]
    public void BadHealthAndExposeFlagsAreUsageErrors(string[] flags, string message)
    {
        // docker refuses these before creating anything: exit 125 with its message, and no container left.
        using var s = new ContainerStore(image);
        var r = s.Run(["create", .. flags, "busybox", "true"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", s.Ok("ps", "-aq"));
    }

    [Fact]
    public void ExposeAddsPortsToTheImagesAsDockerListsThem()
    {
        using var s = new ContainerStore(image);
        s.Ok("create", "--name", "ports", "--expose", "80", "--expose", "53/udp", "--expose", "7000-7002", "busybox", "true");
        Assert.Equal("{\"53/udp\":{},\"7000/tcp\":{},\"7001/tcp\":{},\"7002/tcp\":{},\"80/tcp\":{}}\n",
            s.Ok("inspect", "-f", "{{json .Config.ExposedPorts}}", "ports"));
    }

    /// <summary>Polls inspect's State.Health until <paramref name="done"/> holds (bounded); returns it.</summary>
    private static JsonElement WaitForHealth(ContainerStore s, string name, Func<JsonElement, bool> done)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < Bound)
        {
            last = s.Ok("inspect", "-f", "{{json .State.Health}}", name);
            var health = JsonDocument.Parse(last).RootElement.Clone();
            if (done(health)) return health;
            Thread.Sleep(50);
        }
        Assert.Fail($"health of {name} did not reach the expected state within {Bound}: {last}");
        return default;
    }
}
