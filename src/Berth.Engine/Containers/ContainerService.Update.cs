using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>What <c>update</c> changes (docker's container.UpdateConfig): null leaves a value as it is.</summary>
public sealed record ContainerUpdate
{
    public long? Memory { get; init; }
    public long? MemorySwap { get; init; }
    public long? MemoryReservation { get; init; }
    public long? NanoCpus { get; init; }
    public ulong? CpuShares { get; init; }
    public ulong? CpuPeriod { get; init; }
    public long? CpuQuota { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    /// <summary>0 or -1: unlimited.</summary>
    public long? PidsLimit { get; init; }
    /// <summary>The new restart policy; null keeps it.</summary>
    public RestartPolicy? Restart { get; init; }
    /// <summary>The block I/O weight (10–1000); null or 0 keeps it. dockerd's update changes no other block I/O
    /// setting.</summary>
    public ushort? BlkioWeight { get; init; }
}

public sealed partial class ContainerService
{
    /// <summary><c>update</c>: new resource limits and restart policy, checked as dockerd checks them
    /// (container.UpdateContainer), written live to a running container's cgroup, and stored in its config.json and
    /// its record so inspect and every later start see them. Returns dockerd's warnings for what this host cannot set
    /// (left as it was).</summary>
    public IReadOnlyList<string> Update(ContainerRow row, ContainerUpdate update)
    {
        using var held = Store.LockContainer(row.Id, CancellationToken.None);
        row = Reconcile(CurrentOrGone(row.Id, held));
        IReadOnlyList<string> warnings;
        try
        {
            warnings = UpdateLocked(row, update);
        }
        catch (BerthException e) when (e.Kind is ErrorKind.InvalidArgument or ErrorKind.Conflict)
        {
            throw new BerthException(e.Kind, $"Cannot update container {row.Id}: {e.Message}", e);
        }
        Record(row, "update");
        return warnings;
    }

    private IReadOnlyList<string> UpdateLocked(ContainerRow row, ContainerUpdate u)
    {
        var config = ConfigOf(row);
        var r = config.Request;
        if (u.Restart is { Name: not "no" } && r.AutoRemove)
            throw BerthException.Conflict("Restart policy cannot be updated because AutoRemove is enabled for the container");
        // docker stores -m's default swap (twice the memory) at create: a larger memory needs a new swap with it.
        var swap = r.MemorySwap ?? (r.Memory is { } m ? 2 * m : 0);
        if (u.Memory is { } memory and not 0 && memory > swap && swap != -1 && u.MemorySwap is null or 0)
            throw BerthException.Conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
        if (u.NanoCpus is > 0 && r.CpuPeriod is > 0) throw BerthException.Conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
        if (u.NanoCpus is > 0 && r.CpuQuota is > 0) throw BerthException.Conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
        if (u.CpuPeriod is > 0 && r.NanoCpus is > 0) throw BerthException.Conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
        if (u.CpuQuota is > 0 && r.NanoCpus is > 0) throw BerthException.Conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
        if (u.NanoCpus is { } nano && (nano < 0 || nano > HostOptions.CpuCount() * 1_000_000_000L))
            throw BerthException.Invalid($"range of CPUs is from 0.01 to {HostOptions.CpuCount()}.00, as there are only {HostOptions.CpuCount()} CPUs available");

        var (blockIO, warnings) = BlockIO.CheckOnHost(new BlockIOSettings { Weight = u.BlkioWeight is 0 ? null : u.BlkioWeight });

        var updated = r with
        {
            BlkioWeight = blockIO.Weight ?? r.BlkioWeight,
            Memory = u.Memory is { } mem and not 0 ? mem : r.Memory,
            MemorySwap = u.MemorySwap is { } sw and not 0 ? sw : u.Memory is not null and not 0 && r.MemorySwap is null ? swap : r.MemorySwap,
            MemoryReservation = u.MemoryReservation is { } res and not 0 ? res : r.MemoryReservation,
            NanoCpus = u.NanoCpus is { } cpus and not 0 ? cpus : r.NanoCpus,
            CpuShares = u.CpuShares is { } shares and not 0 ? shares : r.CpuShares,
            CpuPeriod = u.CpuPeriod is { } period and not 0 ? period : r.CpuPeriod,
            CpuQuota = u.CpuQuota is { } quota and not 0 ? quota : r.CpuQuota,
            CpusetCpus = u.CpusetCpus is { Length: > 0 } set ? set : r.CpusetCpus,
            CpusetMems = u.CpusetMems is { Length: > 0 } mems ? mems : r.CpusetMems,
            PidsLimit = u.PidsLimit is { } pids ? (pids > 0 ? pids : null) : r.PidsLimit,
            Restart = u.Restart ?? r.Restart,
        };
        var resources = SpecGenerator.Resources(new RunOptions
        {
            Memory = updated.Memory,
            MemorySwap = updated.MemorySwap,
            MemoryReservation = updated.MemoryReservation,
            MemorySwappiness = updated.MemorySwappiness,
            OomKillDisable = updated.OomKillDisable,
            Cpus = updated.NanoCpus is { } n ? n / 1_000_000_000m : null,
            CpuShares = updated.CpuShares,
            CpuPeriod = updated.CpuPeriod,
            CpuQuota = updated.CpuQuota,
            CpusetCpus = updated.CpusetCpus,
            CpusetMems = updated.CpusetMems,
            PidsLimit = updated.PidsLimit,
            BlockIO = BlockIO.ToSpec(BlockIOSettings.Of(updated)),
        });
        // Unlimited pids is written as such to a live cgroup ("max"), not left as it was.
        if (u.PidsLimit is <= 0) resources = resources with { Pids = new LinuxPids { Limit = -1 } };

        var dir = DirOf(row.Id);
        var spec = SpecOf(dir);
        var linux = spec.Linux ?? new LinuxSpec();
        // The device rules are not update's to change.
        spec = spec with { Linux = linux with { Resources = resources with { Devices = linux.Resources?.Devices } } };
        if (row.Status == "running")
        {
            var cgroup = CgroupManagers.For(CgroupLayout.Detect(), CgroupPathOf(row.Id));
            cgroup.Apply(resources with { Devices = null });
        }
        var temp = Path.Combine(dir, "config.json.update");
        File.WriteAllBytes(temp, RuntimeJson.Serialize(spec));
        File.Move(temp, Path.Combine(dir, "config.json"), overwrite: true);
        var stored = config with { Request = updated };
        Store.Metadata.UpdateContainerConfig(row.Id, JsonSerializer.Serialize(stored, ContainerJsonContext.Writer.StoredContainerConfig));
        return warnings;
    }
}
