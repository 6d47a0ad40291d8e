using Berth.Archive;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>One line of <c>diff</c>: docker's change kinds (0 modified, 1 added, 2 deleted) and their letters.</summary>
public sealed record ContainerChange(string Path, ContainerChange.ChangeKind Kind)
{
    public enum ChangeKind { Modified = 0, Added = 1, Deleted = 2 }

    public char Letter => Kind switch { ChangeKind.Modified => 'C', ChangeKind.Added => 'A', _ => 'D' };
}

public sealed partial class ContainerService
{
    /// <summary><c>diff</c>: what the container changed, read from its overlay upper dir as docker's overlay2 does
    /// (archive.OverlayChanges): an entry that no image layer has is A, one that shadows a lower entry is C, a
    /// whiteout (0/0 character device) is D. Directories come before their contents; the mount points berth made
    /// for the container's own files (<c>/etc/hostname</c>, <c>/dev/…</c>) are left out, as docker's init layer
    /// hides them.</summary>
    public IReadOnlyList<ContainerChange> Changes(ContainerRow row)
    {
        var config = ConfigOf(row);
        var hidden = MountPointsOf(config);
        var changes = new List<ContainerChange>();
        var lowers = config.LowerDirs.Select(RootedTree.Open).ToList();
        try
        {
            using var upper = RootedTree.Open(Path.Combine(DirOf(row.Id), "upper"));
            using var top = upper.Find("", followFinal: false)!;
            Walk(top, "");
        }
        finally
        {
            foreach (var l in lowers) l.Dispose();
        }
        return changes;

        void Walk(RootedEntry dir, string path)
        {
            foreach (var name in dir.Names())
            {
                using var entry = dir.Child(name);
                var child = path + "/" + name;
                if (entry is null || hidden.Contains(child)) continue;
                if ((entry.Mode & 0xF000) == 0x2000 && entry.Rdev == 0)
                {
                    changes.Add(new ContainerChange(child, ContainerChange.ChangeKind.Deleted));
                    continue;
                }
                var inLower = lowers.Any(l => { using var e = l.Find(child, followFinal: false); return e is not null; });
                var at = changes.Count;
                changes.Add(new ContainerChange(child, inLower ? ContainerChange.ChangeKind.Modified : ContainerChange.ChangeKind.Added));
                if (!entry.IsDirectory) continue;
                Walk(entry, child);
                // A lower directory copied up only for berth's own mount points is no change of the container's.
                if (inLower && changes.Count == at + 1) changes.RemoveAt(at);
            }
        }
    }

    /// <summary>The files and directories berth mounts over in every container: they are the runtime's, not the
    /// container's changes.</summary>
    private static HashSet<string> MountPointsOf(StoredContainerConfig config)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys", "/dev/console" };
        foreach (var m in config.Mounts) set.Add("/" + m.Destination.Trim('/'));
        return set;
    }
}
