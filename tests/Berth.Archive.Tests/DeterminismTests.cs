using Berth.Archive.Tests.Support;
using Berth.Testing;
using Berth.Interop;

namespace Berth.Archive.Tests;

public abstract class DeterminismTests : ApplierSuite
{
    [Fact]
    public void SameTreeWithSourceDateEpochGivesIdenticalBytes()
    {
        // Reproducible layers: one tree, one digest, whenever it was touched (dotnet/sdk LayerReproducibilityTests).
        using TempDirectory temp = new();
        string src = temp.Sub("src");
        RoundTripTests.BuildTree(src, withOwners: false);
        DateTimeOffset epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        WriteOptions options = WriteOptions.Default with { SourceDateEpoch = epoch };

        Touch(src, DateTime.UtcNow.AddDays(1));
        byte[] first = Tars.Write(src, options);
        Touch(src, DateTime.UtcNow.AddDays(2).AddSeconds(17));
        byte[] second = Tars.Write(src, options);

        Assert.Equal(first, second);

        string dst = temp.Sub("dst");
        Apply(first, dst, ApplyOptions.Default with { PreserveOwnership = false });
        Assert.Equal(epoch.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(dst, "etc", "passwd")));
        Assert.Equal(epoch.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(dst, "etc")));
    }

    [Fact]
    public void OlderMtimesAreKeptUnderTheEpoch()
    {
        // The epoch is a clamp, not a stamp: files older than it keep their time (BuildKit's rewrite-timestamp).
        using TempDirectory temp = new();
        string src = temp.Sub("src");
        File.WriteAllText(Path.Combine(src, "old"), "o");
        DateTime old = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(src, "old"), old);
        byte[] tar = Tars.Write(src, WriteOptions.Default with { SourceDateEpoch = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        string dst = temp.Sub("dst");
        Apply(tar, dst, ApplyOptions.Default with { PreserveOwnership = false });
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(dst, "old")));
    }

    private static void Touch(string root, DateTime when)
    {
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            if (new FileInfo(path).LinkTarget is not null) continue;
            if (Native.Lstat(path).Type == Libc.S_IFIFO) continue;
            if (Directory.Exists(path)) Directory.SetLastWriteTimeUtc(path, when);
            else File.SetLastWriteTimeUtc(path, when);
        }
    }
}

public sealed class SequentialDeterminismTests : DeterminismTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelDeterminismTests : DeterminismTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
