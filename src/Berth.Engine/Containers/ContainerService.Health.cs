using System.Globalization;
using System.IO.Pipes;
using System.Text;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Spec;
using Berth.Storage.Metadata;
using Berth.Interop;

namespace Berth.Engine.Containers;

/// <summary>Health checks as dockerd runs them (moby daemon/health.go): while a container with a HEALTHCHECK (its
/// image's, or <c>--health-*</c>) runs, a prober process (<c>berth monitor ROOT ID health PIDSTART</c>, started by
/// <see cref="Launch"/> so attached and detached runs alike get one; berth has no daemon to hold the timers) runs the
/// test as an exec in the container every interval (the start interval while starting inside the start period),
/// kills it at the timeout, and records the status, the failing streak and the last five probes in
/// <c>health.json</c> beside the container, with a <c>health_status: …</c> event on each change. The prober ends with
/// the run it was started for.</summary>
public sealed partial class ContainerService
{
    /// <summary>The monitor sub-role of the prober.</summary>
    internal const string HealthRole = "health";

    // moby daemon/health.go: the defaults of a zero field, and what a probe's record keeps.
    private const long DefaultProbeInterval = 30_000_000_000;
    private const long DefaultProbeTimeout = 30_000_000_000;
    private const long DefaultStartInterval = 5_000_000_000;
    private const int DefaultProbeRetries = 3;
    private const int MaxLogEntries = 5;
    private const int MaxOutputLength = 4096;
    /// <summary>containertypes.MinimumDuration: the least non-zero interval, timeout or period the daemon takes.</summary>
    private const long MinimumDuration = 1_000_000;

    /// <summary>docker's merge of a container's health check onto its image's (daemon/commit.go merge): the
    /// request's Test and non-zero fields win, the image's fill the rest.</summary>
    internal static HealthConfig? MergeHealthcheck(HealthConfig? image, HealthConfig? request)
    {
        if (request is null) return image;
        if (image is null) return request;
        return new HealthConfig
        {
            Test = request.Test is { Count: > 0 } ? request.Test : image.Test,
            Interval = request.Interval != 0 ? request.Interval : image.Interval,
            Timeout = request.Timeout != 0 ? request.Timeout : image.Timeout,
            StartPeriod = request.StartPeriod != 0 ? request.StartPeriod : image.StartPeriod,
            StartInterval = request.StartInterval != 0 ? request.StartInterval : image.StartInterval,
            Retries = request.Retries != 0 ? request.Retries : image.Retries,
        };
    }

    /// <summary>The daemon's checks of a health check (daemon/container.go verifyContainerSettings), in its words.</summary>
    internal static void CheckHealthcheck(HealthConfig? h)
    {
        if (h is null) return;
        var minimum = GoDuration.Format(MinimumDuration);
        if (h.Interval != 0 && h.Interval < MinimumDuration) throw BerthException.Invalid($"Interval in Healthcheck cannot be less than {minimum}");
        if (h.Timeout != 0 && h.Timeout < MinimumDuration) throw BerthException.Invalid($"Timeout in Healthcheck cannot be less than {minimum}");
        if (h.Retries < 0) throw BerthException.Invalid("Retries in Healthcheck cannot be negative");
        if (h.StartPeriod != 0 && h.StartPeriod < MinimumDuration) throw BerthException.Invalid($"StartPeriod in Healthcheck cannot be less than {minimum}");
        if (h.StartInterval != 0 && h.StartInterval < MinimumDuration) throw BerthException.Invalid($"StartInterval in Healthcheck cannot be less than {minimum}");
    }

    /// <summary>Whether the container has a health check to run (one whose test is not NONE).</summary>
    public static bool HasHealthcheck(StoredContainerConfig config) => config.Healthcheck is { Test: [var kind, ..] } && kind != "NONE";

    private string HealthPathOf(string id) => Path.Combine(DirOf(id), "health.json");

    /// <summary>State.Health: null for a container without a health check or never started.</summary>
    public HealthJson? HealthOf(ContainerRow row)
    {
        if (!HasHealthcheck(ConfigOf(row))) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(HealthPathOf(row.Id)), HealthJsonContext.Default.HealthJson);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw BerthException.DataLoss($"container {row.Id}: health.json: {e.Message}");
        }
    }

    /// <summary>The <c>ps --filter health=</c> word: the health status, or "none".</summary>
    public string HealthStatusOf(ContainerRow row) => HealthOf(row)?.Status ?? HealthJson.None;

    private void WriteHealth(string id, HealthJson health)
    {
        var path = HealthPathOf(id);
        var temp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(f, health, HealthJsonContext.Default.HealthJson);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>At each start of a container with a health check: the status becomes "starting" with a zero streak
    /// (the log of earlier runs stays, as docker's), and a prober is started for this run.</summary>
    internal void StartHealthProber(ContainerRow running)
    {
        if (!HasHealthcheck(ConfigOf(running))) return;
        WriteHealth(running.Id, new HealthJson { Status = HealthJson.Starting, Log = HealthOf(running)?.Log ?? [] });
        var berth = Options.Executable ?? Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        try
        {
            Berth.Runtime.Process.ProcessLauncher.Spawn(berth,
                ["berth", ContainerMonitor.Role, Store.Root, running.Id, HealthRole, running.PidStart.ToString(CultureInfo.InvariantCulture)],
                new ContainerStdio { Stdin = devNull, Stdout = devNull, Stderr = devNull }, [.. MonitorEnvironment, .. Options.ToEnvironment()]);
        }
        catch (SyscallException e)
        {
            throw new BerthException(e.Kind, $"cannot start the health checks of container {running.Id}: {e.Message}", e);
        }
    }

    /// <summary>The prober's loop (<see cref="StartHealthProber"/>): probes the run of <paramref name="id"/> whose init
    /// started at <paramref name="pidStart"/> until that run ends.</summary>
    internal async Task ProbeUntilExitAsync(string id, ulong pidStart, CancellationToken ct)
    {
        var row = Store.Metadata.GetContainer(id);
        if (row is null || row.PidStart != pidStart || row.Status != "running") return;
        var config = ConfigOf(row);
        var check = config.Healthcheck!;
        var interval = check.Interval != 0 ? check.Interval : DefaultProbeInterval;
        var startInterval = check.StartInterval != 0 ? check.StartInterval : DefaultStartInterval;
        var startPeriod = check.StartPeriod;
        var started = row.StartedAt ?? Time.GetUtcNow();
        var shell = ShellOf(row);
        while (true)
        {
            // moby: the start interval while the container is starting inside its start period, else the interval.
            var wait = Time.GetUtcNow() - started < TimeSpan.FromTicks(startPeriod / 100)
                       && HealthOf(row)?.Status == HealthJson.Starting ? startInterval : interval;
            if (!await WaitWhileRunningAsync(row, TimeSpan.FromTicks(wait / 100), ct).ConfigureAwait(false)) return;
            // A frozen container cannot run an exec: no probe until it is thawed.
            if (IsPaused(row)) continue;
            var result = await ProbeAsync(row, check, shell, ct).ConfigureAwait(false);
            var now = Store.Metadata.GetContainer(id);
            if (now is null || now.PidStart != pidStart || now.Status != "running") return;
            RecordProbe(now, check, started, result);
        }
    }

    /// <summary>Waits <paramref name="delay"/>; false as soon as the run of <paramref name="row"/> has ended.</summary>
    private async Task<bool> WaitWhileRunningAsync(ContainerRow row, TimeSpan delay, CancellationToken ct)
    {
        var until = Time.GetUtcNow() + delay;
        while (true)
        {
            if (!Berth.Runtime.Process.ProcessInfo.IsAlive(row.Pid, row.PidStart)) return false;
            var left = until - Time.GetUtcNow();
            if (left <= TimeSpan.Zero) return true;
            // Polls the init: the prober is not its parent, so there is no exit to wait for.
            await Task.Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), Time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What CMD-SHELL runs under: the image's SHELL, else <c>/bin/sh -c</c> (moby getShell).</summary>
    private IReadOnlyList<string> ShellOf(ContainerRow row)
    {
        try
        {
            if (Images.TryResolve(row.ImageId, out var image) && Images.ReadConfig(image!).Config?.Shell is { Count: > 0 } shell) return shell;
        }
        catch (BerthException)
        {
            // The image is gone (rmi -f) or unreadable: docker's default.
        }
        return ["/bin/sh", "-c"];
    }

    /// <summary>One probe: the test as an exec in the container (its user, environment, working directory and
    /// capabilities), stdout and stderr together kept to 4096 bytes ("..." after a cut), killed at the timeout.</summary>
    private async Task<HealthLogJson> ProbeAsync(ContainerRow row, HealthConfig check, IReadOnlyList<string> shell, CancellationToken ct)
    {
        var test = check.Test!;
        IReadOnlyList<string> command = test[0] == "CMD-SHELL" ? [.. shell, .. test.Skip(1)] : [.. test.Skip(1)];
        var timeout = check.Timeout != 0 ? check.Timeout : DefaultProbeTimeout;
        var start = Time.GetUtcNow();
        HealthLogJson Result(int exitCode, string output) =>
            new() { Start = RfcNano(start), End = RfcNano(Time.GetUtcNow()), ExitCode = exitCode, Output = output };
        try
        {
            var container = SpecOf(DirOf(row.Id)).Process ?? throw BerthException.DataLoss($"container {row.Id}: config.json has no process");
            var process = new ProcessSpec
            {
                User = container.User, Args = command, Env = container.Env, Cwd = container.Cwd,
                Capabilities = container.Capabilities, Rlimits = container.Rlimits, NoNewPrivileges = container.NoNewPrivileges,
            };
            using var output = new AnonymousPipeServerStream(PipeDirection.In, System.IO.HandleInheritability.None);
            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            ExecProcess exec;
            try
            {
                exec = Runtime.Exec(row.Id, process, new ExecOptions
                {
                    Stdio = new ContainerStdio { Stdin = devNull, Stdout = output.ClientSafePipeHandle, Stderr = output.ClientSafePipeHandle },
                });
            }
            finally
            {
                output.DisposeLocalCopyOfClientHandle();
            }
            using (exec)
            {
                var reading = ReadLimitedAsync(output, ct);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(TimeSpan.FromTicks(timeout / 100));
                try
                {
                    var status = await exec.WaitAsync(deadline.Token).ConfigureAwait(false);
                    return Result(status.ExitCode, await reading.ConfigureAwait(false));
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // moby: a probe past its timeout is killed, waited for (dying probes must not pile up), and fails.
                    exec.Signal(9);
                    await exec.WaitAsync(ct).ConfigureAwait(false);
                    return Result(-1, $"Health check exceeded timeout ({GoDuration.Format(timeout)})");
                }
            }
        }
        catch (BerthException e)
        {
            // moby: a probe that could not run counts as a failure, its error as the output.
            return Result(-1, e.Message);
        }
    }

    private static async Task<string> ReadLimitedAsync(Stream output, CancellationToken ct)
    {
        var kept = new MemoryStream();
        var truncated = false;
        var buffer = new byte[4096];
        int n;
        while ((n = await output.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var keep = (int)Math.Min(MaxOutputLength - kept.Length, n);
            if (keep > 0) kept.Write(buffer, 0, keep);
            if (keep < n) truncated = true;
        }
        var text = Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
        return truncated ? text + "..." : text;
    }

    /// <summary>moby handleProbeResult: a pass makes the container healthy and ends the streak; a failure counts
    /// towards the retries (unhealthy once they are reached) unless the container is still starting inside its
    /// start period. The log keeps the last five probes; a change of status is an event.</summary>
    private void RecordProbe(ContainerRow row, HealthConfig check, DateTimeOffset started, HealthLogJson result)
    {
        var health = HealthOf(row) ?? new HealthJson { Status = HealthJson.Starting };
        var retries = check.Retries > 0 ? check.Retries : DefaultProbeRetries;
        var (status, streak) = (health.Status, health.FailingStreak);
        if (result.ExitCode == 0)
        {
            (status, streak) = (HealthJson.Healthy, 0);
        }
        else
        {
            var probeStart = DateTimeOffset.Parse(result.Start, CultureInfo.InvariantCulture);
            var inStartPeriod = status == HealthJson.Starting && probeStart - started < TimeSpan.FromTicks(check.StartPeriod / 100);
            if (!inStartPeriod && ++streak >= retries) status = HealthJson.Unhealthy;
        }
        var log = health.Log.Append(result).TakeLast(MaxLogEntries).ToList();
        WriteHealth(row.Id, new HealthJson { Status = status, FailingStreak = streak, Log = log });
        if (status != health.Status) Record(row, "health_status: " + status);
    }

    /// <summary>Go's RFC 3339 with nanoseconds, as docker's probe times read.</summary>
    private static string RfcNano(DateTimeOffset t)
    {
        var s = t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
        return s + "Z";
    }
}
