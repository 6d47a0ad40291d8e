using Berth.Engine.Networks;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>The network and volume events around a run of <paramref name="row"/>, as dockerd 20.10 records them:
    /// at its start (<paramref name="start"/>, before the container's "start") a network "connect" for each network it
    /// is on, then a volume "mount" for each volume mounted; at its end (after its "die") a "disconnect" for each
    /// network, then an "unmount" for each volume. The none and host networks count (a <c>--network container:X</c>
    /// joins none of its own); bind and tmpfs mounts have no event. Read before the caller's transaction (reading the
    /// networks may write the default one's record).</summary>
    private List<EventRecord> RunEvents(ContainerRow row, bool start)
    {
        var events = new List<EventRecord>();
        try
        {
            AddRunEvents(events, row, start);
        }
        catch (BerthException)
        {
            // A damaged record loses these events, never the start or exit they go with.
        }
        return events;
    }

    private void AddRunEvents(List<EventRecord> events, ContainerRow row, bool start)
    {
        foreach (var (id, name, type) in RunNetworks(row))
            events.Add(Events.Make("network", start ? "connect" : "disconnect", id, [new("container", row.Id), new("name", name), new("type", type)]));
        foreach (var m in ConfigOf(row).Mounts)
        {
            if (m.Type != "volume" || m.Name is not { } volume) continue;
            events.Add(start
                ? Events.Make("volume", "mount", volume,
                [
                    new("container", row.Id), new("destination", m.Destination), new("driver", "local"),
                    new("propagation", m.Propagation), new("read/write", m.ReadWrite ? "true" : "false"),
                ])
                : Events.Make("volume", "unmount", volume, [new("container", row.Id), new("driver", "local")]));
        }
    }

    /// <summary>The networks a run of <paramref name="row"/> is on, as its network events name them (ID, name, driver
    /// type): none or host, else its memberships, the default bridge first (dockerd connects it first, the others
    /// after it); a network removed since is left out.</summary>
    private IReadOnlyList<(string Id, string Name, string Type)> RunNetworks(ContainerRow row)
    {
        var mode = ConfigOf(row).Request.Network;
        if (mode is "" or "none") return [(NetworkService.BuiltinId("none"), "none", "null")];
        if (mode == "host") return [(NetworkService.BuiltinId("host"), "host", "host")];
        if (NetworkService.ContainerOf(mode) is not null) return [];
        return NetworksStillThere(row).OrderBy(n => n.Name == NetworkService.DefaultNetwork ? 0 : 1).Select(n => (n.Id, n.Name, n.Driver)).ToList();
    }

    /// <summary>Appends <paramref name="events"/> inside the caller's transaction.</summary>
    private void Append(IEnumerable<EventRecord> events)
    {
        foreach (var e in events) Store.Metadata.AppendEvent(e);
    }

    /// <summary>A start that failed once the run had begun to be set up (its init made or being made): dockerd has
    /// connected the networks and mounted the volumes by then, and releases them again, so its log shows both ends
    /// of the run and no "start" or "die" between them.</summary>
    private void RecordAbortedRun(ContainerRow row)
    {
        try
        {
            var events = RunEvents(row, start: true).Concat(RunEvents(row, start: false)).ToList();
            Store.Metadata.Write(_ =>
            {
                Append(events);
                return 0;
            });
        }
        catch (Exception e) when (e is BerthException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The start's own error is what the caller reports.
            return;
        }
        Events.Notify();
    }
}
