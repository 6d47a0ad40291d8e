using System.Formats.Tar;
using Berth.Archive.Tests.Support;
using Berth.Oci.Errors;

namespace Berth.Archive.Tests;

/// <summary>
/// Archives built to escape the layer root (security-reliability.md §3). Each runs twice: with openat2 and with
/// the component-walk fallback used where openat2 is missing. Each proves the sibling directory the attack aims
/// at is untouched, and that refusals name the entry.
/// </summary>
public abstract class HostileArchiveTests : ApplierSuite
{
    private ApplyResult Apply(Sentinel s, byte[] tar, bool fallback, ApplyOptions? options = null)
    {
        RootFs.ForceFallback = fallback;
        try
        {
            return Apply(tar, s.Root, options);
        }
        finally
        {
            RootFs.ForceFallback = false;
        }
    }

    private BerthException Refused(Sentinel s, byte[] tar, bool fallback, string entry)
    {
        BerthException e = Assert.ThrowsAny<BerthException>(() => Apply(s, tar, fallback));
        Assert.Contains($"\"{entry}\"", e.Message, StringComparison.Ordinal);
        s.AssertUntouched();
        return e;
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DotDotEntryIsRefusedAndNamed(bool fallback)
    {
        // A "../" name is a breakout attempt: it fails loudly, never silently skipped.
        using Sentinel s = new();
        BerthException e = Refused(s, Tars.Build(Tars.File("../outside/passwd", "pwned")), fallback, "../outside/passwd");
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("escapes", e.Message, StringComparison.Ordinal);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DotDotInsideTheNameIsRefused(bool fallback)
    {
        // Cleaning happens before resolution: "a/../../x" climbs out even though it starts inside.
        using Sentinel s = new();
        byte[] tar = Tars.Build(Tars.Dir("a/"), Tars.File("a/../../outside/passwd", "pwned"));
        Assert.Equal(ErrorKind.InvalidArgument, Refused(s, tar, fallback, "a/../../outside/passwd").Kind);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void AbsoluteNamesAreRootedInTheLayer(bool fallback)
    {
        // Docker and BuildKit root "/x" in the layer; it must never mean the host's /x.
        using Sentinel s = new();
        byte[] tar = Tars.Build(Tars.File(s.Outside + "/passwd", "pwned"), Tars.File("/abs/file", "x"));
        Apply(s, tar, fallback);
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(s.Root, s.OutsideRelative, "passwd")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(s.Root, "abs", "file")));
        s.AssertUntouched();
    }

    [Theory, InlineData(false), InlineData(true)]
    public void FileWrittenThroughAnAbsoluteSymlinkIsRefused(bool fallback)
    {
        // CVE-2014-9356 shape: "evil -> /outside", then "evil/passwd". The symlink resolves inside the root,
        // where its target does not exist, so the write is refused.
        using Sentinel s = new();
        byte[] tar = Tars.Build(Tars.Symlink("evil", s.Outside), Tars.File("evil/passwd", "pwned"));
        Refused(s, tar, fallback, "evil/passwd");
    }

    [Theory, InlineData(false), InlineData(true)]
    public void FileWrittenThroughAnAbsoluteSymlinkLandsInsideWhenTheTargetExistsThere(bool fallback)
    {
        // The same symlink, with its target present inside the root: it is followed, clamped to the root.
        using Sentinel s = new();
        byte[] tar = Tars.Build(Tars.Dir(s.OutsideRelative + "/"), Tars.Symlink("evil", s.Outside), Tars.File("evil/passwd", "pwned"));
        Apply(s, tar, fallback);
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(s.Root, s.OutsideRelative, "passwd")));
        s.AssertUntouched();
    }

    [Theory, InlineData(false), InlineData(true)]
    public void FileWrittenThroughARelativeSymlinkUpAndOutStaysInside(bool fallback)
    {
        // "up -> ../../../.." stops at the layer root, so "up/<host path>" is a path inside it.
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Symlink("up", "../../../../../../../../.."),
            Tars.File("up/" + s.OutsideRelative + "/passwd", "pwned"),
            Tars.Dir("a/"),
            Tars.Dir("outside/"),
            Tars.Symlink("a/out", "../../outside"),
            Tars.File("a/out/passwd", "pwned too"));
        Apply(s, tar, fallback);
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(s.Root, s.OutsideRelative, "passwd")));
        Assert.Equal("pwned too", File.ReadAllText(Path.Combine(s.Root, "outside", "passwd")));
        s.AssertUntouched();
    }

    [Theory]
    [InlineData("relative", false)]
    [InlineData("relative", true)]
    [InlineData("absolute", false)]
    [InlineData("absolute", true)]
    [InlineData("through-symlink", false)]
    [InlineData("through-symlink", true)]
    public void HardLinkToAFileOutsideIsRefused(string how, bool fallback)
    {
        // A hard link to a host file would give the container write access to it (containerd HardlinkDownAndOut).
        using Sentinel s = new();
        byte[] tar = how switch
        {
            "relative" => Tars.Build(Tars.Hardlink("h", "../outside/passwd")),
            "absolute" => Tars.Build(Tars.Hardlink("h", s.Outside + "/passwd")),
            _ => Tars.Build(Tars.Symlink("evil", s.Outside), Tars.Hardlink("h", "evil/passwd")),
        };
        Refused(s, tar, fallback, "h");
        Assert.False(File.Exists(Path.Combine(s.Root, "h")));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void HardLinkToASymlinkLinksTheSymlinkNotItsTarget(bool fallback)
    {
        // linkat without AT_SYMLINK_FOLLOW; and a later entry over the link replaces it instead of chmod-ing
        // through it (CVE-2021-32760 changed host file modes that way).
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Symlink("link", s.Outside + "/passwd"),
            Tars.Hardlink("h", "link"),
            Tars.File("h", "replaced", (UnixFileMode)0xDFF));
        Apply(s, tar, fallback);
        Assert.Equal("replaced", File.ReadAllText(Path.Combine(s.Root, "h")));
        Assert.True(Native.Lstat(Path.Combine(s.Root, "link")).IsSymlink);
        s.AssertUntouched();
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DirectoryReplacedByASymlinkThenWrittenThroughStaysInside(bool fallback)
    {
        // containerd SymlinkOverrideDirectory: "d/" then "d -> /outside" then "d/passwd".
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Dir("d/"),
            Tars.File("d/f", "1"),
            Tars.Symlink("d", s.Outside),
            Tars.File("d/passwd", "pwned"));
        Refused(s, tar, fallback, "d/passwd");
        Assert.True(Native.Lstat(Path.Combine(s.Root, "d")).IsSymlink);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DirectoryReplacedByARelativeSymlinkThenWrittenThroughStaysInside(bool fallback)
    {
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Dir("d/"),
            Tars.Symlink("d", "../../.."),
            Tars.File("d/passwd", "pwned"));
        Apply(s, tar, fallback);
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(s.Root, "passwd")));
        s.AssertUntouched();
    }

    [Theory, InlineData(false), InlineData(true)]
    public void WhiteoutThroughASymlinkDeletesNothingOutside(bool fallback)
    {
        // containerd WhiteoutSymlinkPath: ".wh." entries under a symlink to the host must not remove host files.
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Symlink("evil", s.Outside),
            Tars.File("evil/.wh.passwd"),
            Tars.File("evil/.wh..wh..opq"));
        Apply(s, tar, fallback, ApplyOptions.Default with { Whiteouts = WhiteoutMode.Delete });
        s.AssertUntouched();
    }

    [Theory]
    [InlineData(".wh.")]
    [InlineData(".wh..")]
    [InlineData(".wh...")]
    public void WhiteoutNamingItsOwnDirectoryIsRefused(string name)
    {
        // containerd WhiteoutCurrentDirectory / WhiteoutParent: ".wh.." would remove the parent directory.
        using Sentinel s = new();
        Directory.CreateDirectory(Path.Combine(s.Root, "a", "b"));
        byte[] tar = Tars.Build(Tars.File("a/b/" + name));
        BerthException e = Assert.ThrowsAny<BerthException>(() =>
            Apply(tar, s.Root, ApplyOptions.Default with { Whiteouts = WhiteoutMode.Delete }));
        Assert.Contains("a/b/" + name, e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(s.Root, "a", "b")));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DeviceNodesAreSkippedAndCounted(bool fallback)
    {
        // An image must not bring device nodes (a raw disk, /dev/mem) to the host.
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.Device("dev/sda", TarEntryType.BlockDevice, 8, 0),
            Tars.Device("dev/mem", TarEntryType.CharacterDevice, 1, 1),
            Tars.File("ok", "fine"));
        ApplyResult result = Apply(s, tar, fallback);
        Assert.Equal(2, result.SkippedDevices);
        Assert.Equal(3, result.Entries);
        Assert.False(Native.Exists(Path.Combine(s.Root, "dev", "sda")));
        Assert.False(Native.Exists(Path.Combine(s.Root, "dev", "mem")));
        Assert.Equal("fine", File.ReadAllText(Path.Combine(s.Root, "ok")));
        s.AssertUntouched();
    }

    [Theory, InlineData(false), InlineData(true)]
    public void DuplicateEntriesLaterWins(bool fallback)
    {
        // As tar does: a file replaces a file, a directory or a symlink; a directory over a directory merges
        // and takes the later metadata.
        using Sentinel s = new();
        byte[] tar = Tars.Build(
            Tars.File("f", "first"),
            Tars.File("f", "second"),
            Tars.Dir("d/", (UnixFileMode)0x1C0),
            Tars.File("d/child", "kept"),
            Tars.Dir("d/", (UnixFileMode)0x1ED),
            Tars.Dir("x/"),
            Tars.File("x/inner", "gone"),
            Tars.File("x", "now a file"),
            Tars.File("y", "was a file"),
            Tars.Dir("y/"),
            Tars.Symlink("s", "t1"),
            Tars.Symlink("s", "t2"),
            Tars.Symlink("to-file", s.Outside + "/passwd"),
            Tars.File("to-file", "not through the link"));
        Apply(s, tar, fallback);
        Assert.Equal("second", File.ReadAllText(Path.Combine(s.Root, "f")));
        Assert.Equal(0x1EDu, Native.Lstat(Path.Combine(s.Root, "d")).Mode & 0xFFF);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(s.Root, "d", "child")));
        Assert.Equal("now a file", File.ReadAllText(Path.Combine(s.Root, "x")));
        Assert.True(Native.Lstat(Path.Combine(s.Root, "y")).IsDirectory);
        Assert.Equal("t2", new FileInfo(Path.Combine(s.Root, "s")).LinkTarget);
        Assert.True(Native.Lstat(Path.Combine(s.Root, "to-file")).IsRegular);
        s.AssertUntouched();
    }

    [Theory]
    [InlineData('x', "PAX extended header")]
    [InlineData('g', "PAX global header")]
    [InlineData('L', "GNU long name")]
    public void OversizedExtensionHeaderIsRefusedBeforeItIsRead(char type, string kind)
    {
        // CVE-2017-14992: a 64 MiB PAX header made the daemon buffer it. The limit is checked on the declared
        // size, so the reader stops within its first buffer of an endless stream.
        using Sentinel s = new();
        EndlessStream stream = new(RawTar.Header("PaxHeaders.0/big", type, 64L << 20));
        BerthException e = Assert.ThrowsAny<BerthException>(() =>
            LayerApplier.Apply(stream, s.Root, With(), TestContext.Current.CancellationToken));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("\"PaxHeaders.0/big\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(kind, e.Message, StringComparison.Ordinal);
        Assert.True(stream.BytesRead <= 2 << 20, $"read {stream.BytesRead} bytes before refusing");
        s.AssertUntouched();
    }

    [Fact]
    public void ExtensionHeadersWithinTheLimitAreHonoured()
    {
        // The limit is configurable, and names longer than any ustar field still work below it.
        using Sentinel s = new();
        string longName = string.Join('/', Enumerable.Repeat(new string('n', 60), 8));
        byte[] tar = Tars.Build(Tars.File(longName, "deep"));
        Apply(tar, s.Root);
        Assert.Equal("deep", File.ReadAllText(Path.Combine(s.Root, longName)));
        using Sentinel t = new();
        Assert.ThrowsAny<BerthException>(() => Apply(tar, t.Root, ApplyOptions.Default with { MaxHeaderBytes = 100 }));
    }
}

public sealed class SequentialHostileArchiveTests : HostileArchiveTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelHostileArchiveTests : HostileArchiveTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
