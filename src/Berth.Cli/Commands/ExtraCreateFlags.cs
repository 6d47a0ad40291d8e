using System.CommandLine;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>The <c>run</c>/<c>create</c> flags of issue 13 (health checks, <c>--expose</c>, <c>--volumes-from</c>), read
/// and refused as docker/cli's opts.go does before anything reaches the engine
/// (a usage error, 125).</summary>
internal sealed class ExtraCreateFlags
{
    public readonly Option<string?> Cmd = new("--health-cmd") { Description = "Command to run to check health" };
    public readonly Option<long?> Interval = FlagParsers.Duration("--health-interval", "Time between running the check (ms|s|m|h) (default 0s)");
    public readonly Option<long?> Timeout = FlagParsers.Duration("--health-timeout", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)");
    public readonly Option<long?> StartPeriod = FlagParsers.Duration("--health-start-period", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)");
    public readonly Option<long?> StartInterval = FlagParsers.Duration("--health-start-interval", "Time between running the check during the start period (ms|s|m|h) (default 0s)");
    public readonly Option<int?> Retries = new("--health-retries") { Description = "Consecutive failures needed to report unhealthy" };
    public readonly Option<bool> None = new("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK" };
    public readonly Option<string[]> Expose = new("--expose") { Description = "Expose a port or a range of ports" };
    public readonly Option<string[]> VolumesFrom = new("--volumes-from") { Description = "Mount volumes from the specified container(s)" };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Cmd, Interval, Timeout, StartPeriod, StartInterval, Retries, None, Expose, VolumesFrom }) c.Options.Add(o);
    }

    /// <summary>docker/cli opts.go: <c>--no-healthcheck</c> is Test ["NONE"] and takes no <c>--health-*</c>; any
    /// <c>--health-*</c> gives a config whose zero fields the image's fill (a command as CMD-SHELL).</summary>
    public HealthConfig? Healthcheck(ParseResult p)
    {
        var cmd = p.GetValue(Cmd) ?? "";
        var (interval, timeout, startPeriod, startInterval, retries) =
            (p.GetValue(Interval) ?? 0, p.GetValue(Timeout) ?? 0, p.GetValue(StartPeriod) ?? 0, p.GetValue(StartInterval) ?? 0, p.GetValue(Retries) ?? 0);
        var any = cmd.Length > 0 || interval != 0 || timeout != 0 || startPeriod != 0 || retries != 0 || startInterval != 0;
        if (p.GetValue(None))
        {
            if (any) throw BerthException.Invalid("--no-healthcheck conflicts with --health-* options");
            return new HealthConfig { Test = ["NONE"] };
        }
        if (!any) return null;
        if (interval < 0) throw BerthException.Invalid("--health-interval cannot be negative");
        if (timeout < 0) throw BerthException.Invalid("--health-timeout cannot be negative");
        if (retries < 0) throw BerthException.Invalid("--health-retries cannot be negative");
        if (startPeriod < 0) throw BerthException.Invalid("--health-start-period cannot be negative");
        if (startInterval < 0) throw BerthException.Invalid("--health-start-interval cannot be negative");
        return new HealthConfig
        {
            Test = cmd.Length > 0 ? ["CMD-SHELL", cmd] : null,
            Interval = interval, Timeout = timeout, StartPeriod = startPeriod, StartInterval = startInterval, Retries = retries,
        };
    }
}
