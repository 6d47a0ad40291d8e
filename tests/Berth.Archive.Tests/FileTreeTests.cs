using System.Text;
using Berth.Archive.Tests.Support;
using Berth.Testing;

namespace Berth.Archive.Tests;

public sealed class FileTreeTests
{
    private static void MakeDeepTree(string root, int levels)
    {
        // Built relative to the current level, as a container's `mkdir -p` would: no path handed to the kernel
        // is longer than one component, yet the tree ends up far deeper than PATH_MAX.
        string component = new('d', 200);
        var dir = new DirectoryInfo(root);
        for (int i = 0; i < levels; i++)
        {
            dir = dir.CreateSubdirectory(component);
            if (i % 10 != 0) continue;
            // Keep each absolute path short enough for .NET: step into the new level by a symlink near the top.
            string link = Path.Combine(root, $"hop{i}");
            File.CreateSymbolicLink(link, dir.FullName);
            dir = new DirectoryInfo(link);
        }
        File.WriteAllText(Path.Combine(dir.FullName, "leaf"), "x");
    }

    [Fact]
    public void RemovesATreeDeeperThanPathMax()
    {
        // A killed load or a container's upper dir may hold a tree no absolute path can name; garbage collection
        // must still be able to remove it (Directory.Delete fails with "The value cannot be an empty string").
        using TempDirectory temp = new();
        string root = temp.Sub("deep");
        MakeDeepTree(root, 40);
        FileTree.Remove(root);
        Assert.False(Directory.Exists(root));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void ListsAndRemovesNamesThatAreNotUtf8WithoutFollowingSymlinks()
    {
        // Debris may have any name; a symlink in it must be removed, never followed into what it points at.
        using TempDirectory temp = new();
        string dir = temp.Sub("debris");
        string outside = temp.Sub("outside");
        File.WriteAllText(Path.Combine(outside, "keep"), "precious");
        File.CreateSymbolicLink(Path.Combine(dir, "link-to-outside"), outside);
        File.WriteAllText(Path.Combine(dir, "new\nline"), "x");
        // A name with an invalid UTF-8 byte, made through /proc/self/fd so that .NET never has to spell it.
        Assert.Equal(0, Native.MkdirRaw(dir, [(byte)'b', 0xff, (byte)'d']));

        var entries = FileTree.List(dir);
        Assert.Equal(["b\\xffd", "link-to-outside", "new\\x0aline"], entries.Select(e => e.DisplayName).Order(StringComparer.Ordinal));
        Assert.Null(entries.Single(e => e.DisplayName == "b\\xffd").Utf8Name);
        Assert.Equal(FileTree.EntryKind.Symlink, entries.Single(e => e.DisplayName == "link-to-outside").Kind);
        foreach (var e in entries) FileTree.Remove(e);
        Assert.Empty(FileTree.List(dir));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(outside, "keep")));
    }

    [Fact]
    public void RemovingWhatIsNotThereIsNotAnError()
    {
        using TempDirectory temp = new();
        FileTree.Remove(Path.Combine(temp.Path, "absent"));
        Assert.Empty(FileTree.List(Path.Combine(temp.Path, "absent")));
    }
}
