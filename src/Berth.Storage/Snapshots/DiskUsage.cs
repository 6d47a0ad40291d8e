using Berth.Storage.Interop;

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
            if (Libc.lstat(p, out var st) != 0) continue;
            if (st.st_nlink > 1 && !seen.Add((st.st_dev, st.st_ino))) continue;
            total += st.st_blocks * 512;
            if ((st.st_mode & 0xF000) == 0x4000)
                foreach (var child in Directory.EnumerateFileSystemEntries(p)) stack.Push(child);
        }
        return total;
    }
}
