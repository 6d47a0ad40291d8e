using System.Formats.Tar;
using Berth.Archive.Interop;
using Berth.Archive.Tests.Support;
using Berth.Testing;

namespace Berth.Archive.Tests;

public abstract class RoundTripTests : ApplierSuite
{
    private static readonly DateTime Then = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);

    /// <summary>A tree with every kind of entry a layer carries.</summary>
    internal static void BuildTree(string src, bool withOwners)
    {
        void Write(string rel, string content, uint mode, uint uid = 0, uint gid = 0)
        {
            string path = Path.Combine(src, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
            if (withOwners) Native.Lchown(path, uid, gid);
            Native.Chmod(path, mode);
        }

        Write("bin/sh", "#!/bin/sh\n", 0x1ED);
        Write("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0x1A4);
        Write("home/user/.profile", "export PS1=$\n", 0x180, 1000, 1000);
        Write("usr/bin/sudo", "setuid", 0x9ED);         // 04755
        Write("usr/bin/wall", "setgid", 0x5ED, 0, 5);   // 02755
        Write("usr/bin/a", "linked", 0x1ED);
        Write("empty", "", 0x1A4);
        Write("données/ファイル.txt", "unicode", 0x1A4);
        string longDir = Path.Combine("long", new string('x', 120), new string('y', 120));
        Write(Path.Combine(longDir, "file-with-a-long-path"), "long", 0x1A4);

        byte[] big = new byte[(3 << 20) + 123];
        new Random(42).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "big.bin"), big);

        Directory.CreateDirectory(Path.Combine(src, "tmp"));
        Native.Chmod(Path.Combine(src, "tmp"), 0x3FF);   // 01777
        Directory.CreateDirectory(Path.Combine(src, "usr/lib"));
        Directory.CreateDirectory(Path.Combine(src, "empty-dir"));
        Write("private/secret", "s", 0x180);
        Native.Chmod(Path.Combine(src, "private"), 0x1C0);
        Write("ro/file", "r", 0x124);

        File.CreateSymbolicLink(Path.Combine(src, "bin/bash"), "sh");
        File.CreateSymbolicLink(Path.Combine(src, "lib"), "usr/lib");
        File.CreateSymbolicLink(Path.Combine(src, "dangling"), "/nonexistent/x");
        File.CreateSymbolicLink(Path.Combine(src, "long-target"), "/" + string.Join('/', Enumerable.Repeat("target", 25)));
        Native.Link(Path.Combine(src, "usr/bin/a"), Path.Combine(src, "usr/bin/b"));
        Native.Link(Path.Combine(src, "usr/bin/a"), Path.Combine(src, "usr/bin/c"));
        Native.Mkfifo(Path.Combine(src, "fifo"), 0x180);

        Native.SetXattr(Path.Combine(src, "etc/passwd"), "user.test", "hello");
        Native.SetXattr(Path.Combine(src, "home"), "user.dir", "1");
        if (withOwners)
        {
            Native.Lchown(Path.Combine(src, "home/user"), 1000, 1000);
            Native.Lchown(Path.Combine(src, "bin/bash"), 7, 8);
            Native.SetXattr(Path.Combine(src, "bin/sh"), "trusted.berth", "t");
        }

        foreach (string dir in Directory.EnumerateDirectories(src, "*", SearchOption.AllDirectories).Append(src))
        {
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                if (new FileInfo(file).LinkTarget is null) File.SetLastWriteTimeUtc(file, Then.AddHours(1));
            }
        }

        Native.Chmod(Path.Combine(src, "ro"), 0x16D);     // 0555, after its file was written
        foreach (string dir in Directory.EnumerateDirectories(src, "*", SearchOption.AllDirectories))
        {
            Directory.SetLastWriteTimeUtc(dir, Then);
        }
    }

    [Fact]
    public void WriteThenApplyGivesBackTheTree()
    {
        // The writer and the applier are inverses: what a build step produces is what a pull unpacks.
        Requires.Root("owners and trusted.* xattrs");
        using TempDirectory temp = new();
        string src = temp.Sub("src"), dst = temp.Sub("dst");
        BuildTree(src, withOwners: true);

        byte[] tar = Tars.Write(src);
        ApplyResult result = Apply(tar, dst);

        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(src), TreeSnapshot.Capture(dst));
        Assert.True(result.BytesWritten > (3 << 20), $"{result.BytesWritten} bytes written");
        Assert.Equal(0, result.SkippedDevices);
    }

    [Fact]
    public void WriteThenApplyWorksWithoutOwnership()
    {
        // Rootless: ownership is not restored but every type, mode, link and content is.
        using TempDirectory temp = new();
        string src = temp.Sub("src"), dst = temp.Sub("dst");
        BuildTree(src, withOwners: false);
        byte[] tar = Tars.Write(src);
        Apply(tar, dst, ApplyOptions.Default with { PreserveOwnership = false });
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(src), TreeSnapshot.Capture(dst));
    }

    [Fact]
    public void WrittenArchivesAreReadableByAnotherTarReader()
    {
        // Docker reads our layers with Go's archive/tar; System.Formats.Tar stands in as an independent reader.
        Requires.Root("owners");
        using TempDirectory temp = new();
        string src = temp.Sub("src");
        BuildTree(src, withOwners: true);
        byte[] tar = Tars.Write(src);

        using TarReader reader = new(new MemoryStream(tar));
        Dictionary<string, TarEntry> entries = [];
        while (reader.GetNextEntry(copyData: true) is { } entry) entries[entry.Name] = entry;

        Assert.Equal(TarEntryType.Directory, entries["bin/"].EntryType);
        Assert.Equal(TarEntryType.SymbolicLink, entries["bin/bash"].EntryType);
        Assert.Equal("sh", entries["bin/bash"].LinkName);
        Assert.Equal(TarEntryType.HardLink, entries["usr/bin/b"].EntryType);
        Assert.Equal("usr/bin/a", entries["usr/bin/b"].LinkName);
        Assert.Equal(TarEntryType.Fifo, entries["fifo"].EntryType);
        Assert.Equal(1000, entries["home/user/.profile"].Uid);
        Assert.Equal((UnixFileMode)0x9ED, entries["usr/bin/sudo"].Mode);
        string longName = "long/" + new string('x', 120) + "/" + new string('y', 120) + "/file-with-a-long-path";
        Assert.Equal("long", new StreamReader(entries[longName].DataStream!).ReadToEnd());
        PaxTarEntry passwd = Assert.IsType<PaxTarEntry>(entries["etc/passwd"]);
        Assert.Equal("hello", passwd.ExtendedAttributes["SCHILY.xattr.user.test"]);
        Assert.DoesNotContain(passwd.ExtendedAttributes.Keys, static k => k is "atime" or "ctime");
    }

    [Fact]
    public void EntriesAreSortedWithParentsFirst()
    {
        // Deterministic order is what makes two builds of one tree give one digest.
        using TempDirectory temp = new();
        string src = temp.Sub("src");
        BuildTree(src, withOwners: false);
        List<string> names = Tars.List(Tars.Write(src)).Select(static e => e.Name).ToList();
        HashSet<string> seen = [];
        foreach (string name in names)
        {
            string trimmed = name.TrimEnd('/');
            int slash = trimmed.LastIndexOf('/');
            if (slash > 0) Assert.Contains(trimmed[..(slash + 1)], seen);
            seen.Add(name);
        }

        Assert.Equal(["big.bin", "bin/", "bin/bash", "bin/sh", "dangling"], names.Take(5));
    }
}

public sealed class SequentialRoundTripTests : RoundTripTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelRoundTripTests : RoundTripTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
