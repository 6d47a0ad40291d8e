using System.CommandLine;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary><c>update</c>: docker's flags for resources and the restart policy, applied to each container in turn
/// (<see cref="ContainerService.Update"/>); each name is echoed on success, and any failure exits 1.</summary>
internal static class UpdateCommand
{
    public static Command Create()
    {
        var memory = FlagParsers.Bytes("--memory", "Memory limit", "-m");
        var memorySwap = FlagParsers.SwapBytes("--memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
        var memoryReservation = FlagParsers.Bytes("--memory-reservation", "Memory soft limit");
        var cpus = FlagParsers.NanoCpus("--cpus", "Number of CPUs");
        var cpuShares = new Option<long?>("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
        var cpuPeriod = new Option<long?>("--cpu-period") { Description = "Limit CPU CFS (Completely Fair Scheduler) period" };
        var cpuQuota = new Option<long?>("--cpu-quota") { Description = "Limit CPU CFS (Completely Fair Scheduler) quota" };
        var cpusetCpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
        var cpusetMems = new Option<string?>("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
        var pidsLimit = new Option<long?>("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
        var restart = new Option<string?>("--restart") { Description = "Restart policy to apply when a container exits" };
        var blkioWeight = new Option<ushort?>("--blkio-weight") { Description = "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("update", "Update configuration of one or more containers")
        {
            memory, memorySwap, memoryReservation, cpus, cpuShares, cpuPeriod, cpuQuota, cpusetCpus, cpusetMems, pidsLimit, restart, blkioWeight, containers,
        };
        CliContext.Bind((ctx, p, ct) =>
        {
            var flags = new Option[] { memory, memorySwap, memoryReservation, cpus, cpuShares, cpuPeriod, cpuQuota, cpusetCpus, cpusetMems, pidsLimit, restart, blkioWeight };
            if (!flags.Any(f => p.GetResult(f) is { Implicit: false })) throw BerthException.Invalid("you must provide one or more flags when using this command");
            var restartPolicy = p.GetValue(restart) is { } policy ? RestartPolicy.Parse(policy) : null;
            if (p.GetValue(cpuShares) is < 0 and var shares) throw BerthException.Invalid($"invalid CPU shares ({shares}): value must be a positive integer");
            var update = new ContainerUpdate
            {
                Memory = p.GetValue(memory),
                MemorySwap = p.GetValue(memorySwap),
                MemoryReservation = p.GetValue(memoryReservation),
                NanoCpus = p.GetValue(cpus),
                CpuShares = p.GetValue(cpuShares) is { } s ? (ulong)s : null,
                CpuPeriod = p.GetValue(cpuPeriod) is { } period ? (ulong)Math.Max(0, period) : null,
                CpuQuota = p.GetValue(cpuQuota),
                CpusetCpus = p.GetValue(cpusetCpus),
                CpusetMems = p.GetValue(cpusetMems),
                PidsLimit = p.GetValue(pidsLimit),
                Restart = restartPolicy,
                BlkioWeight = p.GetValue(blkioWeight) is { } weight and not 0 ? weight : null,
            };
            var failed = false;
            var warnings = new List<string>();
            foreach (var name in p.GetValue(containers)!)
            {
                try
                {
                    warnings.AddRange(ctx.Containers.Update(ctx.Containers.Resolve(name), update));
                    ctx.Out.WriteLine(name);
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    failed = true;
                }
            }
            // docker/cli prints the daemon's warnings after the names, on stdout.
            if (warnings.Count > 0) ctx.Out.WriteLine(string.Join('\n', warnings));
            return failed ? ExitCodes.Failure : 0;
        })(c);
        return c;
    }
}
