using Berth.Archive.Interop;
using Berth.Archive.Tests.Support;
using Berth.Testing;
using Berth.Interop;

namespace Berth.Archive.Tests;

/// <summary>OCI whiteouts (layer.md): overlay form for per-layer snapshots, deletion for flattened trees, and
/// back from an overlay upper dir to <c>.wh.</c> entries.</summary>
public abstract class WhiteoutTests : ApplierSuite
{
    private static byte[] Layer() => Tars.Build(
        Tars.Dir("a/"),
        Tars.File("a/.wh.b"),
        Tars.Dir("c/"),
        Tars.File("c/new", "new"),
        Tars.File("c/.wh..wh..opq"),   // after a sibling: it still applies to the whole directory
        Tars.File(".wh.top"),
        Tars.File("d/.wh..wh.plnk"));  // AUFS metadata: ignored

    [Fact]
    public void OverlayModeMakesWhiteoutDevicesAndOpaqueXattrs()
    {
        // overlayfs hides lower files behind 0/0 character devices and lower dirs behind trusted.overlay.opaque.
        Requires.Root("mknod and trusted.* xattrs");
        using TempDirectory temp = new();
        string root = temp.Sub("layer");
        ApplyResult result = Apply(Layer(), root);

        foreach (string hidden in new[] { "a/b", "top" })
        {
            FileStatus st = Native.Lstat(Path.Combine(root, hidden));
            Assert.Equal(Libc.S_IFCHR, st.Type);
            Assert.Equal((0u, 0u), (st.RdevMajor, st.RdevMinor));
        }

        Assert.Contains(Native.Xattrs(Path.Combine(root, "c")),
            static x => x.Key == "trusted.overlay.opaque" && x.Value.AsSpan().SequenceEqual("y"u8));
        Assert.Equal("new", File.ReadAllText(Path.Combine(root, "c", "new")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, ".wh.*", SearchOption.AllDirectories));
        Assert.Equal(3, result.Whiteouts);
        Assert.Equal(1, result.SkippedOther);
    }

    [Fact]
    public void DeleteModeRemovesWhatLowerLayersHad()
    {
        // A flattened tree has no overlay to hide things: whiteouts delete, opaque markers empty the directory
        // of everything this layer did not bring.
        using TempDirectory temp = new();
        string root = temp.Sub("flat");
        Directory.CreateDirectory(Path.Combine(root, "a", "b", "deep"));
        File.WriteAllText(Path.Combine(root, "a", "keep"), "k");
        Directory.CreateDirectory(Path.Combine(root, "c", "old-dir"));
        File.WriteAllText(Path.Combine(root, "c", "old1"), "o");
        File.WriteAllText(Path.Combine(root, "top"), "t");

        Apply(Layer(), root, ApplyOptions.Default with { Whiteouts = WhiteoutMode.Delete });

        Assert.False(Native.Exists(Path.Combine(root, "a", "b")));
        Assert.True(File.Exists(Path.Combine(root, "a", "keep")));
        Assert.False(Native.Exists(Path.Combine(root, "top")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(root, "c")).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, ".wh.*", SearchOption.AllDirectories));
    }

    [Fact]
    public void DeleteModeWhiteoutsNeverRemoveThisLayersOwnEntries()
    {
        // layer.md: whiteouts only hide lower layers.
        using TempDirectory temp = new();
        string root = temp.Sub("flat");
        Apply(Tars.Build(Tars.File("x", "mine"), Tars.File(".wh.x")), root,
            ApplyOptions.Default with { Whiteouts = WhiteoutMode.Delete });
        Assert.Equal("mine", File.ReadAllText(Path.Combine(root, "x")));
    }

    [Fact]
    public void OverlayUpperDirBecomesWhiteoutEntries()
    {
        // A RUN step's upper dir becomes its layer: devices and opaque xattrs turn back into .wh. entries and no
        // trusted.overlay.* xattr leaks into the image.
        Requires.Root("mknod and trusted.* xattrs");
        using TempDirectory temp = new();
        string upper = temp.Sub("upper");
        Apply(Layer(), upper);
        // c/ carries trusted.overlay.opaque=y; an image xattr beside it must survive, so c/ is written as PAX.
        Native.SetXattr(Path.Combine(upper, "c"), "user.keep", "1");

        byte[] tar = Tars.Write(upper, WriteOptions.Default with { OverlayUpper = true });
        List<(string Name, System.Formats.Tar.TarEntryType Type, string? Link)> entries = Tars.List(tar);
        Assert.Equal([".wh.top", "a/", "a/.wh.b", "c/", "c/.wh..wh..opq", "c/new"], entries.Select(static e => e.Name));
        Assert.All(entries.Where(static e => e.Name.Contains(".wh.", StringComparison.Ordinal)),
            static e => Assert.Equal(System.Formats.Tar.TarEntryType.RegularFile, e.Type));

        // Every entry, of any format: only PAX entries can carry xattrs, and none may carry trusted.overlay.*.
        Dictionary<string, List<string>> xattrsByEntry = [];
        using (System.Formats.Tar.TarReader reader = new(new MemoryStream(tar)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                xattrsByEntry[entry.Name] = entry is System.Formats.Tar.PaxTarEntry pax
                    ? [.. pax.ExtendedAttributes.Keys.Where(static k => k.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))]
                    : [];
            }
        }

        Assert.Equal(entries.Select(static e => e.Name), xattrsByEntry.Keys);
        Assert.All(xattrsByEntry, static e => Assert.DoesNotContain(e.Value, static k => k.StartsWith("SCHILY.xattr.trusted.overlay.", StringComparison.Ordinal)));
        Assert.Equal(["SCHILY.xattr.user.keep"], xattrsByEntry["c/"]);

        // And the layer applies again to the same upper dir shape.
        string again = temp.Sub("again");
        Apply(tar, again);
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(upper, mtimes: false), TreeSnapshot.Capture(again, mtimes: false));
    }

    [Fact]
    public void ImageXattrsCannotForgeOverlayMetadata()
    {
        // An image carrying trusted.overlay.* could redirect or hide files in the merged view.
        Requires.Root("trusted.* xattrs");
        using TempDirectory temp = new();
        string root = temp.Sub("layer");
        System.Formats.Tar.PaxTarEntry dir = new(System.Formats.Tar.TarEntryType.Directory, "d/",
            new Dictionary<string, string> { ["SCHILY.xattr.trusted.overlay.opaque"] = "y", ["SCHILY.xattr.user.ok"] = "1" });
        Apply(Tars.Build(dir), root);
        List<KeyValuePair<string, byte[]>> xattrs = Native.Xattrs(Path.Combine(root, "d"));
        Assert.DoesNotContain(xattrs, static x => x.Key.StartsWith("trusted.overlay.", StringComparison.Ordinal));
        Assert.Contains(xattrs, static x => x.Key == "user.ok");
    }
}

public sealed class SequentialWhiteoutTests : WhiteoutTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelWhiteoutTests : WhiteoutTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
