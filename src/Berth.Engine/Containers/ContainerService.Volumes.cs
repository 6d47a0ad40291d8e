using Berth.Archive;
using Berth.Storage.Files;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>As docker does: a volume mounted over a path where the image has files starts with a copy of them,
    /// when the volume is empty (its first use). The image's tree at that path is rebuilt from its layers, bottom
    /// first, each layer's part written as a tar (whiteouts included) and applied with the archive layer's safe
    /// applier; not for a volume mounted with <c>nocopy</c>. Only real directories are walked: a layer whose path to the destination has a symlink is
    /// skipped, so nothing outside the layer is ever read.</summary>
    private static void PopulateVolumes(IEnumerable<ContainerMount> mounts, IReadOnlyList<string> lowersTopFirst, string scratchDir, CancellationToken ct)
    {
        foreach (var m in mounts)
        {
            if (m.Type != "volume" || m.NoCopy || !Directory.Exists(m.Source) || Directory.EnumerateFileSystemEntries(m.Source).Any()) continue;
            var parts = m.Destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts.Any(p => p is "." or "..")) continue;
            for (int i = lowersTopFirst.Count - 1; i >= 0; i--)
            {
                var layer = lowersTopFirst[i];
                var state = Walk(layer, parts);
                if (state == PathState.WhitedOut)
                {
                    // This layer deletes the path: what lower layers put in the volume goes.
                    foreach (var e in Directory.EnumerateFileSystemEntries(m.Source)) Storage.Snapshots.SnapshotStore.RemoveTree(e);
                    continue;
                }
                if (state != PathState.Directory) continue;
                var tarPath = Path.Combine(scratchDir, "volume-copy.tar");
                using (var tar = new FileStream(tarPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
                {
                    LayerWriter.WriteDirectory(Path.Combine([layer, .. parts]), tar, new WriteOptions { OverlayUpper = true }, ct);
                    tar.Position = 0;
                    LayerApplier.Apply(tar, m.Source, new ApplyOptions { Whiteouts = WhiteoutMode.Delete }, ct);
                }
            }
        }
    }

    private enum PathState { Absent, Directory, WhitedOut, NotADirectory }

    private static PathState Walk(string layer, string[] parts)
    {
        var path = layer;
        foreach (var part in parts)
        {
            path = Path.Combine(path, part);
            if (!FileMetadata.TryLstat(path, out var st)) return PathState.Absent;
            if (st.Type == FileStat.S_IFCHR && st.Rdev == 0) return PathState.WhitedOut;
            if (st.Type != FileStat.S_IFDIR) return PathState.NotADirectory;
        }
        return PathState.Directory;
    }
}
