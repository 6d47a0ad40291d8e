using System.Globalization;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Process;

/// <summary>For long-lived idle roles (the monitor of a detached container): gives back what start-up left
/// resident. The managed heap is compacted and decommitted, malloc's free memory returned, and the pages of
/// executable and read-only file mappings (berth's code, libc, SQLite) that were only needed to get going are
/// unmapped from this process — they stay in the page cache and fault back in when the few functions the idle
/// loop runs are called. Mappings holding a private (copy-on-write, e.g. relocated) page are left alone, so no
/// modified page is ever discarded.</summary>
public static unsafe class ProcessMemory
{
    public static void Trim()
    {
        (nint Start, nuint Length)[] mappings;
        try
        {
            mappings = [.. CleanFileMappings(File.ReadAllLines("/proc/self/smaps"))];
        }
        catch (IOException)
        {
            return;
        }
        // Every instruction run after a mapping is dropped faults its page back in, with the kernel's fault-around
        // (16 pages on each fault): so nothing but this loop runs in between, and berth's own code, which the
        // loop and the return run from, goes last.
        var self = (nint)(delegate*<void>)&Trim;
        Array.Sort(mappings, (a, b) => Contains(a, self).CompareTo(Contains(b, self)));
        // The heap last of all that allocates (reading smaps does): compacted, and its free pages decommitted.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        malloc_trim(0);
        for (var i = 0; i < mappings.Length; i++) madvise(mappings[i].Start, mappings[i].Length, MADV_DONTNEED);
    }

    private static bool Contains((nint Start, nuint Length) m, nint address) =>
        (nuint)(address - m.Start) < m.Length;

    /// <summary>Private, non-writable file mappings without a single anonymous (copied) page.</summary>
    internal static IEnumerable<(nint Start, nuint Length)> CleanFileMappings(IReadOnlyList<string> smaps)
    {
        var result = new List<(nint, nuint)>();
        (nint Start, nuint Length)? current = null;
        foreach (var line in smaps)
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.IndexOf('-') is var dash and > 0 && line.IndexOf(' ') is var sp && sp > dash)
            {
                current = null;
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                // address perms offset dev inode path
                if (fields.Length < 6 || !fields[5].StartsWith('/') || fields[1].Length != 4) continue;
                if (fields[1][1] == 'w' || fields[1][3] != 'p') continue;
                var start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var end = ulong.Parse(line.AsSpan(dash + 1, sp - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                current = ((nint)start, (nuint)(end - start));
            }
            else if (current is { } m && line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                if (line.AsSpan("Anonymous:".Length).Trim().StartsWith("0 ")) result.Add(m);
                current = null;
            }
        }
        return result;
    }
}
