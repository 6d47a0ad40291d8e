using System.IO.Compression;
using System.Text;
using Berth.Archive.Tests.Support;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Archive.Tests;

/// <summary>Broken input must fail as a <see cref="BerthException"/> that says what is wrong, never as a raw
/// runtime exception and never as a silent partial success.</summary>
public abstract class BadInputTests : ApplierSuite
{
    private static byte[] SampleTar()
    {
        byte[] data = new byte[200_000];
        new Random(7).NextBytes(data);
        return Tars.Build(Tars.Dir("dir/"), Tars.File("dir/small", "hello"), Tars.File("dir/data", Convert.ToBase64String(data)));
    }

    private BerthException ApplyFails(Stream stream)
    {
        using TempDirectory temp = new();
        return Assert.ThrowsAny<BerthException>(() =>
        {
            using Stream decompressed = Compressions.OpenDecompressed(stream, out _);
            LayerApplier.Apply(decompressed, temp.Path, With(), TestContext.Current.CancellationToken);
        });
    }

    [Fact]
    public void TextIsNotATar()
    {
        // A registry serving an HTML error page as a layer must get a clear "not a tar", not a crash.
        string text = string.Concat(Enumerable.Repeat("<html>this is not a layer</html>\n", 64));
        BerthException e = ApplyFails(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("not a tar archive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedTarNamesTheCutEntry()
    {
        // A half-downloaded layer must not unpack as if it were whole.
        byte[] tar = SampleTar();
        BerthException e = ApplyFails(new MemoryStream(tar[..(tar.Length / 2)]));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"dir/data\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TarCutInsideAHeaderIsTruncated()
    {
        byte[] tar = SampleTar();
        BerthException e = ApplyFails(new MemoryStream(tar[..(512 + 512 + 100)]));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptHeaderChecksumIsDataLoss()
    {
        byte[] tar = SampleTar();
        int second = 512 * 3; // "dir/" has a PAX header and a header; the next header starts here
        tar[second + 10] ^= 0x55;
        BerthException e = ApplyFails(new MemoryStream(tar));
        Assert.Contains("corrupt tar archive", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(-1)]
    public void TruncatedGzipIsDataLoss(int divisor)
    {
        // GZipStream itself ends quietly on a cut stream; berth must notice (a cut before the trailer included).
        byte[] tar = SampleTar();
        MemoryStream ms = new();
        using (GZipStream gz = new(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(tar);
        byte[] gzip = ms.ToArray();
        byte[] cut = divisor > 0 ? gzip[..(gzip.Length / divisor)] : gzip[..^4];
        BerthException e = ApplyFails(new NonSeekableStream(new MemoryStream(cut)));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public void TruncatedZstdIsDataLoss(int divisor)
    {
        byte[] tar = SampleTar();
        MemoryStream ms = new();
        using (Stream z = Compressions.Compress(ms, Compression.Zstd, leaveOpen: true)) z.Write(tar);
        byte[] zstd = ms.ToArray();
        byte[] cut = divisor > 0 ? zstd[..(zstd.Length / divisor)] : zstd[..^4];
        BerthException e = ApplyFails(new NonSeekableStream(new MemoryStream(cut)));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("zstd stream is truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptGzipIsDataLoss()
    {
        byte[] tar = SampleTar();
        MemoryStream ms = new();
        using (GZipStream gz = new(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(tar);
        byte[] gzip = ms.ToArray();
        for (int i = 20; i < 60; i++) gzip[i] = 0xFF;
        BerthException e = ApplyFails(new MemoryStream(gzip));
        Assert.Equal(ErrorKind.DataLoss, e.Kind);
        Assert.Contains("gzip", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MutatedArchivesFailOnlyWithBerthExceptions()
    {
        // A small fuzz pass (security-reliability.md §3.10): random damage anywhere must surface as a
        // BerthException or apply cleanly, never as another exception type.
        byte[] tar = Tars.Build(
            Tars.Dir("a/"), Tars.File("a/f", "content"), Tars.Symlink("a/l", "f"), Tars.Hardlink("a/h", "a/f"),
            Tars.File(string.Join('/', Enumerable.Repeat("long", 40)), "x"), Tars.File(".wh.gone"), Tars.Fifo("p"));
        Random random = new(1234);
        using TempDirectory temp = new();
        for (int i = 0; i < 300; i++)
        {
            byte[] mutated = (byte[])tar.Clone();
            int flips = random.Next(1, 8);
            for (int j = 0; j < flips; j++) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0) mutated = mutated[..random.Next(mutated.Length)];
            string root = temp.Sub($"r{i}");
            try
            {
                Apply(mutated, root, ApplyOptions.Default with { Whiteouts = i % 2 == 0 ? WhiteoutMode.Delete : WhiteoutMode.Overlay });
            }
            catch (BerthException)
            {
            }
        }
    }

    [Theory]
    [InlineData("component", "layer entry \"bbb", "file name too long (a component of 256 bytes, at most 255)")]
    [InlineData("path", "layer entry \"ddd", "file name too long (4999 bytes, at most 4095)")]
    [InlineData("deep", "layer entry \"ddd", "file name too long (4099 bytes, at most 4095)")]
    [InlineData("symlink", "link target \"/ttt", "(5000 bytes)\": file name too long (5000 bytes, at most 4095)")]
    public void NamesLongerThanLinuxAllowsAreRefusedBeforeAnythingIsCreated(string shape, string names, string expected)
    {
        // docker fails such an entry with "file name too long"; berth used to create the directories of a
        // 4,999-byte path one by one, then could not remove them (the tree was deeper than PATH_MAX).
        string component = new('d', 99);
        System.Formats.Tar.TarEntry[] entries = shape switch
        {
            "component" => [Tars.File("ok"), Tars.File(new string('b', 256))],
            "path" => [Tars.File("ok"), Tars.File(string.Join('/', Enumerable.Repeat(component, 50))[..4999])],
            "deep" => [Tars.File("ok"), .. Enumerable.Range(1, 42).Select(n => Tars.Dir(string.Join('/', Enumerable.Repeat(component, n)) + "/"))],
            _ => [Tars.File("ok"), Tars.Symlink("l", "/" + new string('t', 4999))],
        };
        using TempDirectory temp = new();
        string root = temp.Sub("root");
        BerthException e = Assert.ThrowsAny<BerthException>(() => Apply(Tars.Build(entries), root));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.EndsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("layer entry \"", e.Message, StringComparison.Ordinal);
        Assert.Contains(names, e.Message, StringComparison.Ordinal);
        // The entry that failed is not there, even in part (the directories before it may be).
        Assert.True(Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).All(p => Path.GetRelativePath(root, p).Length <= 4095));
    }
}

public sealed class SequentialBadInputTests : BadInputTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelBadInputTests : BadInputTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
