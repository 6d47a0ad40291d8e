using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>--volumes-from CONTAINER[:ro|rw]</c>: the volumes and binds of each container named (not its tmpfs),
    /// in their own mode, all read-only with ":ro" ("rw" makes nothing writable that was not: moby daemon/volumes.go
    /// registerMountPoints, RW = m.RW &amp;&amp; mode is rw). The new container's own mounts win at the same destination.</summary>
    private List<ContainerMount> VolumesFrom(IReadOnlyList<string> specs, IReadOnlyList<ContainerMount> own)
    {
        var taken = own.Select(m => CleanPath(m.Destination)).ToHashSet(StringComparer.Ordinal);
        var result = new List<ContainerMount>();
        foreach (var spec in specs)
        {
            var colon = spec.LastIndexOf(':');
            var (name, mode) = colon < 0 ? (spec, "") : (spec[..colon], spec[(colon + 1)..]);
            if (name.Length == 0) throw BerthException.Invalid($"invalid volumes-from specification: '{spec}'");
            var readOnly = mode switch
            {
                "" or "rw" => false,
                "ro" => true,
                _ => throw BerthException.Invalid($"invalid mode: {mode}"),
            };
            var source = Resolve(name);
            foreach (var m in ConfigOf(source).Mounts)
            {
                if (m.Type == "tmpfs" || !taken.Add(CleanPath(m.Destination))) continue;
                // The volume is shared, not the source's to remove with it: it is no longer anonymous to this one.
                result.Add(m with { ReadWrite = m.ReadWrite && !readOnly, Anonymous = false });
            }
        }
        return result;
    }
}
