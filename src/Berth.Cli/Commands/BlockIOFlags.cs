using System.CommandLine;
using System.Globalization;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>The block I/O flags of run, create and update as docker/cli reads them (opts/weightdevice.go,
/// opts/throttledevice.go): <c>PATH:VALUE</c> with a path under /dev/, docker/cli's words for a refusal (usage
/// error, 125).</summary>
internal sealed class BlockIOFlags
{
    public readonly Option<ushort?> Weight = new("--blkio-weight") { Description = "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" };
    public readonly Option<string[]> WeightDevice = new("--blkio-weight-device") { Description = "Block IO weight (relative device weight) (format: <device-path>:<weight>)" };
    public readonly Option<string[]> ReadBps = new("--device-read-bps") { Description = "Limit read rate (bytes per second) from a device (format: <device-path>:<number>[<unit>])" };
    public readonly Option<string[]> WriteBps = new("--device-write-bps") { Description = "Limit write rate (bytes per second) to a device (format: <device-path>:<number>[<unit>])" };
    public readonly Option<string[]> ReadIOps = new("--device-read-iops") { Description = "Limit read rate (IO per second) from a device (format: <device-path>:<number>)" };
    public readonly Option<string[]> WriteIOps = new("--device-write-iops") { Description = "Limit write rate (IO per second) to a device (format: <device-path>:<number>)" };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Weight, WeightDevice, ReadBps, WriteBps, ReadIOps, WriteIOps }) c.Options.Add(o);
    }

    /// <summary>The flags on <paramref name="request"/>; a value docker/cli refuses is refused with its flag named.</summary>
    public ContainerRequest ApplyTo(ContainerRequest request, ParseResult p)
    {
        List<T> Values<T>(Option<string[]> option, Func<string, T> parse) => [.. (p.GetValue(option) ?? []).Select(v =>
        {
            try
            {
                return parse(v);
            }
            catch (BerthException e) when (e.Kind == ErrorKind.InvalidArgument)
            {
                throw new BerthException(e.Kind, $"invalid argument \"{v}\" for \"{option.Name}\" flag: {e.Message}", e);
            }
        })];
        return request with
        {
            BlkioWeight = p.GetValue(Weight) is { } w and not 0 ? w : null,
            BlkioWeightDevice = Values(WeightDevice, ParseWeightDevice),
            BlkioDeviceReadBps = Values(ReadBps, ParseBpsDevice),
            BlkioDeviceWriteBps = Values(WriteBps, ParseBpsDevice),
            BlkioDeviceReadIOps = Values(ReadIOps, ParseIOpsDevice),
            BlkioDeviceWriteIOps = Values(WriteIOps, ParseIOpsDevice),
        };
    }

    /// <summary><c>--blkio-weight-device /dev/sda:300</c>.</summary>
    public static WeightDevice ParseWeightDevice(string value)
    {
        var (path, text) = Split(value);
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight is > 0 and (< 10 or > 1000))
            throw BerthException.Invalid($"invalid weight for device: {value}");
        return new WeightDevice(path, weight);
    }

    /// <summary><c>--device-read-bps /dev/sda:1mb</c> (docker's RAMInBytes units).</summary>
    public static ThrottleDevice ParseBpsDevice(string value)
    {
        var (path, text) = Split(value);
        long rate;
        try
        {
            rate = FlagParsers.RamInBytes(text);
        }
        catch (FlagParsers.FlagValueException)
        {
            rate = -1;
        }
        if (rate < 0)
            throw BerthException.Invalid($"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb");
        return new ThrottleDevice(path, (ulong)rate);
    }

    /// <summary><c>--device-read-iops /dev/sda:1000</c>.</summary>
    public static ThrottleDevice ParseIOpsDevice(string value)
    {
        var (path, text) = Split(value);
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rate))
            throw BerthException.Invalid($"invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must be a positive integer");
        return new ThrottleDevice(path, rate);
    }

    private static (string Path, string Value) Split(string value)
    {
        var colon = value.IndexOf(':');
        if (colon <= 0) throw BerthException.Invalid($"bad format: {value}");
        var path = value[..colon];
        if (!path.StartsWith("/dev/", StringComparison.Ordinal)) throw BerthException.Invalid($"bad format for device path: {value}");
        return (path, value[(colon + 1)..]);
    }
}
