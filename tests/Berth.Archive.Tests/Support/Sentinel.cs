using Berth.Testing;

namespace Berth.Archive.Tests.Support;

/// <summary>A layer root with a sibling directory that attacks aim at. <see cref="AssertUntouched"/> proves
/// nothing outside the root was written, linked, removed or re-moded.</summary>
internal sealed class Sentinel : IDisposable
{
    private readonly TempDirectory _temp = new("berth-archive");
    private readonly SortedDictionary<string, string> _before;

    public Sentinel()
    {
        Root = _temp.Sub("root");
        Outside = _temp.Sub("outside");
        File.WriteAllText(System.IO.Path.Combine(Outside, "passwd"), "root:x:0:0::/root:/bin/sh\n");
        Directory.CreateDirectory(System.IO.Path.Combine(Outside, "etc"));
        File.WriteAllText(System.IO.Path.Combine(Outside, "etc", "shadow"), "secret\n");
        File.SetUnixFileMode(System.IO.Path.Combine(Outside, "passwd"), (UnixFileMode)0x1A4);
        _before = Snapshot();
    }

    public string Root { get; }

    /// <summary>The absolute host path of the attacked directory.</summary>
    public string Outside { get; }

    /// <summary>Outside, without its leading slash: an in-root path that mirrors it.</summary>
    public string OutsideRelative => Outside.TrimStart('/');

    public void AssertUntouched()
    {
        SortedDictionary<string, string> after = Snapshot();
        TreeSnapshot.AssertEqual(_before, after);
        // Also: nothing new appeared next to the root.
        Assert.Equal(["outside", "root"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private SortedDictionary<string, string> Snapshot()
    {
        SortedDictionary<string, string> s = TreeSnapshot.Capture(Outside);
        foreach (string path in Directory.EnumerateFileSystemEntries(Outside, "*", SearchOption.AllDirectories))
        {
            s["nlink:" + path] = Native.Lstat(path).Nlink.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return s;
    }

    public void Dispose() => _temp.Dispose();
}
