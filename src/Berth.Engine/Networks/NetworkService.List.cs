using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Engine.Networks;

public sealed partial class NetworkService
{
    /// <summary><c>network ls</c>: the default network (made on demand), the records, host and none, by name.</summary>
    public IReadOnlyList<NetworkInspect> List(Func<string, string?> containerName)
    {
        EnsureDefault();
        return store.Metadata.ListNetworks().Select(n => Inspect(n, containerName))
            .Append(InspectBuiltin("host")).Append(InspectBuiltin("none"))
            .OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A network by name, full ID or unique ID prefix, the built-in host and none included; NotFound
    /// ("network X not found") otherwise.</summary>
    public NetworkInspect Find(string nameOrId, Func<string, string?> containerName)
    {
        foreach (var builtin in (string[])["host", "none"])
            if (nameOrId == builtin || nameOrId == BuiltinId(builtin)) return InspectBuiltin(builtin);
        return Inspect(nameOrId == DefaultNetwork ? EnsureDefault() : Get(nameOrId), containerName);
    }

    /// <summary><c>network prune</c>: removes the user networks no container (running or not) is set to join,
    /// by its <c>--network</c> or a <c>network connect</c>; returns their names. The log has each one's destroy, then
    /// the prune's own event (dockerd's, reclaiming no bytes).</summary>
    public IReadOnlyList<string> Prune(Func<NetworkInspect, bool> matches)
    {
        var used = store.Metadata.ListContainers().Select(r => ContainerService.ConfigOf(r).Request.Network).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var n in store.Metadata.ListNetworks().Where(n => n.Name != DefaultNetwork && !used.Contains(n.Name) && store.Metadata.AttachmentsOfNetwork(n.Id).Count == 0))
        {
            if (!matches(Inspect(n, _ => null))) continue;
            try
            {
                Remove(n);
                removed.Add(n.Name);
            }
            catch (BerthException e) when (e.Kind == ErrorKind.Conflict)
            {
                // A container started on it meanwhile: it is in use after all.
            }
        }
        Events.Record("network", "prune", "", [new("reclaimed", "0")]);
        return removed;
    }
}
