using System.Globalization;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;

namespace Berth.Engine.Containers;

/// <summary><c>--blkio-weight-device</c>, HostConfig.BlkioWeightDevice: a block device's weight (10–1000).</summary>
public sealed record WeightDevice(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("weight")] ushort Weight);

/// <summary><c>--device-read-bps</c> and the other throttles: a block device's limit in bytes or operations per
/// second.</summary>
public sealed record ThrottleDevice(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("rate")] ulong Rate);

/// <summary>A container's block I/O controls (docker's Resources.Blkio*): dockerd's checks against what the host's
/// cgroups offer (what it lacks is discarded with dockerd's warning), and the spec's <see cref="LinuxBlockIO"/> with
/// the devices as numbers.</summary>
public static class BlockIO
{
    /// <summary><see cref="Check"/> against this host's cgroups (looked at only when something is asked).</summary>
    public static (BlockIOSettings Settings, IReadOnlyList<string> Warnings) CheckOnHost(BlockIOSettings s) =>
        s.IsEmpty ? (s, []) : Check(s, BlockIOSupport.Detect(CgroupLayout.Detect()));

    /// <summary>The controls as set on the host (dockerd's verifyPlatformContainerResources, in its order): each the
    /// host's cgroups cannot apply is dropped with dockerd's warning, then the weight's range is checked.</summary>
    public static (BlockIOSettings Settings, IReadOnlyList<string> Warnings) Check(BlockIOSettings s, BlockIOSupport host)
    {
        var warnings = new List<string>();
        if (s.Weight is > 0 && !host.Weight)
        {
            warnings.Add("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
            s = s with { Weight = null };
        }
        if (s.Weight is > 0 and (< 10 or > 1000)) throw BerthException.Invalid("Range of blkio weight is from 10 to 1000");
        if (s.WeightDevice.Count > 0 && !host.WeightDevice)
        {
            warnings.Add("Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.");
            s = s with { WeightDevice = [] };
        }
        if (s.ReadBps.Count > 0 && !host.ReadBps)
        {
            warnings.Add("Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.");
            s = s with { ReadBps = [] };
        }
        if (s.WriteBps.Count > 0 && !host.WriteBps)
        {
            warnings.Add("Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.");
            s = s with { WriteBps = [] };
        }
        if (s.ReadIOps.Count > 0 && !host.ReadIOps)
        {
            warnings.Add("Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.");
            s = s with { ReadIOps = [] };
        }
        if (s.WriteIOps.Count > 0 && !host.WriteIOps)
        {
            warnings.Add("Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.");
            s = s with { WriteIOps = [] };
        }
        return (s with { Weight = s.Weight is 0 ? null : s.Weight }, warnings);
    }

    /// <summary>The spec's block I/O section, each device path resolved to its numbers now (a path that is not a
    /// block device is refused with the reason); null when nothing is set.</summary>
    public static LinuxBlockIO? ToSpec(BlockIOSettings s)
    {
        if (s.IsEmpty) return null;
        static List<LinuxThrottleDevice>? Throttles(IReadOnlyList<ThrottleDevice> list) => list.Count == 0 ? null
            : list.Select(t => HostDevices.BlockDevice(t.Path) is var (major, minor) ? new LinuxThrottleDevice { Major = major, Minor = minor, Rate = t.Rate } : null!).ToList();
        return new LinuxBlockIO
        {
            Weight = s.Weight,
            WeightDevice = s.WeightDevice.Count == 0 ? null
                : s.WeightDevice.Select(w => HostDevices.BlockDevice(w.Path) is var (major, minor) ? new LinuxWeightDevice { Major = major, Minor = minor, Weight = w.Weight } : null!).ToList(),
            ThrottleReadBpsDevice = Throttles(s.ReadBps),
            ThrottleWriteBpsDevice = Throttles(s.WriteBps),
            ThrottleReadIOPSDevice = Throttles(s.ReadIOps),
            ThrottleWriteIOPSDevice = Throttles(s.WriteIOps),
        };
    }
}

/// <summary>The block I/O controls of a <see cref="ContainerRequest"/>, together.</summary>
public sealed record BlockIOSettings
{
    public ushort? Weight { get; init; }
    public IReadOnlyList<WeightDevice> WeightDevice { get; init; } = [];
    public IReadOnlyList<ThrottleDevice> ReadBps { get; init; } = [];
    public IReadOnlyList<ThrottleDevice> WriteBps { get; init; } = [];
    public IReadOnlyList<ThrottleDevice> ReadIOps { get; init; } = [];
    public IReadOnlyList<ThrottleDevice> WriteIOps { get; init; } = [];

    public bool IsEmpty => Weight is null or 0 && WeightDevice.Count == 0 && ReadBps.Count == 0 && WriteBps.Count == 0 && ReadIOps.Count == 0 && WriteIOps.Count == 0;

    public static BlockIOSettings Of(ContainerRequest r) => new()
    {
        Weight = r.BlkioWeight, WeightDevice = r.BlkioWeightDevice, ReadBps = r.BlkioDeviceReadBps, WriteBps = r.BlkioDeviceWriteBps,
        ReadIOps = r.BlkioDeviceReadIOps, WriteIOps = r.BlkioDeviceWriteIOps,
    };

    public ContainerRequest ApplyTo(ContainerRequest r) => r with
    {
        BlkioWeight = Weight, BlkioWeightDevice = WeightDevice, BlkioDeviceReadBps = ReadBps, BlkioDeviceWriteBps = WriteBps,
        BlkioDeviceReadIOps = ReadIOps, BlkioDeviceWriteIOps = WriteIOps,
    };
}
