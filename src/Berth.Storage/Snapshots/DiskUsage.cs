using Berth.Interop;

namespace Berth.Storage.Snapshots;

/// <summary>Disk usage of a tree as <c>du</c> counts it: allocated blocks, each inode once, links not followed.</summary>
public static class DiskUsage
{
    public static long Measure(string path)
    {
        var seen = new HashSet<(ulong, ulong)>();
        long total = 0;
        var stack = new Stack<string>();
        stack.Push(path);
        while (stack.Count > 0)
        {
            var p = stack.Pop();
            if (Statx.TryOfPath(p, out var st) != 0) continue;
            if (st.Nlink > 1 && !seen.Add((st.Device, st.Inode))) continue;
            total += st.Blocks * 512;
            if (st.IsDirectory)
                foreach (var child in Directory.EnumerateFileSystemEntries(p)) stack.Push(child);
        }
        return total;
    }
}
