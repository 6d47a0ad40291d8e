using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>pause</c>: freezes every process of a running container (cgroup freezer). The row stays
    /// "running"; <see cref="IsPaused"/> reads the freezer, so a paused container shows as docker's: status
    /// "paused", Running and Paused true, "Up … (Paused)".</summary>
    public void Pause(ContainerRow row)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        if (IsPaused(row)) throw BerthException.Conflict($"Container {row.Id} is already paused");
        Runtime.Pause(row.Id);
        Record(row, "pause");
    }

    /// <summary><c>unpause</c>: thaws a paused container.</summary>
    public void Unpause(ContainerRow row)
    {
        row = Reconcile(row);
        if (row.Status != "running" || !IsPaused(row)) throw BerthException.Conflict($"Container {row.Id} is not paused");
        Runtime.Resume(row.Id);
        Record(row, "unpause");
    }

    /// <summary>Whether a running container's cgroup is frozen.</summary>
    public bool IsPaused(ContainerRow row) => row.Status == "running" && Runtime.IsPaused(row.Id);

    /// <summary>docker's State.Status word: created, running, paused, exited.</summary>
    public string StateOf(ContainerRow row) => IsPaused(row) ? "paused" : row.Status;

    /// <summary>The <c>ps</c> STATUS column: <see cref="StatusText"/>, with docker's " (Paused)", else the health
    /// status of a running container with a health check: " (healthy)", " (health: starting)".</summary>
    public string StatusTextOf(ContainerRow row, DateTimeOffset now, Func<DateTimeOffset?, DateTimeOffset, string> ago) =>
        StatusText(row, now, ago) + (IsPaused(row) ? " (Paused)"
            : row.Status == "running" && HealthOf(row) is { } h ? (h.Status == HealthJson.Starting ? " (health: starting)" : $" ({h.Status})") : "");
}
