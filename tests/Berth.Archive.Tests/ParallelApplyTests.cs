using System.Formats.Tar;
using System.Text;
using Berth.Archive.Tests.Support;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Archive.Tests;

/// <summary>Files handed to worker threads must not change what an apply does: the same tree, the same error,
/// and no worker left running afterwards. Serial, so the worker-thread census sees only its own applies.</summary>
[Collection(nameof(SerialCollection))]
public sealed class ParallelApplyTests
{
    private static readonly DateTimeOffset Then = new(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);

    /// <summary>Many dirs of small files with, interleaved: duplicates, hard links to files just written,
    /// whiteouts and an opaque marker, a symlinked alias of a directory written through, a file replacing a
    /// directory whose children are in flight, a directory replacing a file, parents never listed, big files.</summary>
    private static byte[] BusyLayer()
    {
        List<TarEntry> entries = [];
        Random random = new(99);
        TarEntry File(string name, int size, int salt)
        {
            byte[] data = new byte[size];
            new Random(salt).NextBytes(data);
            return new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(data), Mode = (UnixFileMode)(0x1A4 | (Math.Abs(salt) % 2) << 6), ModificationTime = Then,
            };
        }

        for (int d = 0; d < 24; d++)
        {
            string dir = $"d{d:00}";
            entries.Add(new PaxTarEntry(TarEntryType.Directory, dir + "/") { Mode = (UnixFileMode)0x1ED, ModificationTime = Then });
            for (int f = 0; f < 40; f++)
            {
                entries.Add(File($"{dir}/f{f:00}", random.Next(0, 9000), d * 100 + f));
                if (f % 7 == 6) entries.Add(File($"{dir}/f{f - 3:00}", random.Next(0, 3000), -f));
                if (f % 11 == 10) entries.Add(Tars.Hardlink($"{dir}/h{f:00}", $"{dir}/f{f:00}"));
                if (f % 13 == 12) entries.Add(Tars.File($"{dir}/.wh.f{f - 2:00}"));
                if (f % 13 == 5) entries.Add(Tars.File($"{dir}/.wh.lower{f:00}"));
            }

            entries.Add(Tars.Symlink($"alias{d:00}", dir));
            entries.Add(File($"alias{d:00}/f03", 100, 7));
            entries.Add(File($"{dir}/f03", 200, 8));
            entries.Add(File($"{dir}/sub/a", 10, 1));
            entries.Add(File($"{dir}/sub/b", 10, 2));
            entries.Add(File($"{dir}/sub", 10, 3));
            entries.Add(new PaxTarEntry(TarEntryType.Directory, $"{dir}/f05/") { Mode = (UnixFileMode)0x1C0, ModificationTime = Then });
            entries.Add(File($"{dir}/f05/inside", 10, 4));
            if (d % 6 == 0) entries.Add(File($"{dir}/big", (3 << 20) / 2, d));
            if (d % 8 == 3) entries.Add(Tars.File($"{dir}/.wh..wh..opq"));
            entries.Add(File($"{dir}/f01", 50, 9));
        }

        entries.Add(new PaxTarEntry(TarEntryType.Directory, "old/") { Mode = (UnixFileMode)0x1ED, ModificationTime = Then });
        entries.Add(File("old/x", 10, 11));
        return Tars.Build([.. entries]);
    }

    private static void Lower(string root)
    {
        for (int d = 0; d < 24; d += 5)
        {
            Directory.CreateDirectory(Path.Combine(root, $"d{d:00}", "lower05", "deep"));
            System.IO.File.WriteAllText(Path.Combine(root, $"d{d:00}", "lower18"), "lower");
            System.IO.File.WriteAllText(Path.Combine(root, $"d{d:00}", "f20"), "lower");
            Directory.CreateDirectory(Path.Combine(root, $"d{d:00}", "f21", "was-a-dir"));
        }

        Directory.CreateDirectory(Path.Combine(root, "old"));
        System.IO.File.WriteAllText(Path.Combine(root, "old", "y"), "lower");
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            System.IO.File.SetLastWriteTimeUtc(path, Then.UtcDateTime);
        }
    }

    [Theory, InlineData(WhiteoutMode.Delete), InlineData(WhiteoutMode.Overlay)]
    public void ParallelApplyGivesTheSameTreeAsSequential(WhiteoutMode mode)
    {
        // A pull must unpack one tree whatever the machine's parallelism: image digests describe content, and
        // a race that reorders a duplicate or a whiteout would corrupt it silently.
        if (mode == WhiteoutMode.Overlay) Requires.Root("mknod and trusted.* xattrs");
        byte[] tar = BusyLayer();
        using TempDirectory temp = new();
        Dictionary<int, (SortedDictionary<string, string> Tree, ApplyResult Result)> outcomes = [];
        foreach (int parallelism in new[] { 1, 8, 3, 8 })
        {
            string root = temp.Sub($"p{parallelism}-{outcomes.Count}");
            Lower(root);
            ApplyResult result = Tars.Apply(tar, root, ApplyOptions.Default with { Whiteouts = mode, Parallelism = parallelism });
            SortedDictionary<string, string> tree = TreeSnapshot.Capture(root);
            // Overlay whiteout devices carry no archive time (mknod stamps "now"), whatever the parallelism.
            foreach ((string path, string entry) in tree.Where(static e => e.Value.StartsWith("c 0 ", StringComparison.Ordinal)).ToList())
            {
                tree[path] = entry[..entry.IndexOf(" mtime=", StringComparison.Ordinal)];
            }

            if (outcomes.Count == 0)
            {
                outcomes[0] = (tree, result);
                continue;
            }

            TreeSnapshot.AssertEqual(outcomes[0].Tree, tree);
            Assert.Equal(outcomes[0].Result, result);
            outcomes[outcomes.Count] = (tree, result);
        }

        Assert.True(outcomes[0].Tree.Count > 24 * 40, $"{outcomes[0].Tree.Count} paths");
        Assert.Contains(outcomes[0].Tree.Keys, static k => k.StartsWith("#links", StringComparison.Ordinal));
        AssertNoWorkersLeft();
    }

    [Fact]
    public void AFileUnderAFileStillInFlightFailsAsItDoesSequentially()
    {
        // "a" then "a/b": the parent must not be made as a directory while "a" is still being written.
        byte[] tar = Tars.Build([.. Enumerable.Range(0, 30).Select(static i => Tars.File($"f{i}", "x")), Tars.File("a", "file"), Tars.File("a/b", "under")]);
        string[] messages = [.. new[] { 1, 8 }.Select(parallelism =>
        {
            using TempDirectory temp = new();
            return Assert.ThrowsAny<BerthException>(() => Tars.Apply(tar, temp.Path, ApplyOptions.Default with { Parallelism = parallelism })).Message;
        })];
        Assert.Contains("\"a/b\"", messages[0], StringComparison.Ordinal);
        Assert.Equal(messages[0], messages[1]);
        AssertNoWorkersLeft();
    }

    [Fact]
    public void AWorkerFailureNamesItsEntryAndWinsOverALaterOne()
    {
        // The error a user sees names the first bad entry in the archive, as a sequential apply would, even when
        // the reader has already reached a later bad one; and the pool is drained before Apply throws.
        PaxTarEntry tooBig = new(TarEntryType.RegularFile, "d/f20", new Dictionary<string, string>
        {
            ["SCHILY.xattr.user.big"] = new string('v', 70_000), // over the VFS limit of 64 KiB: E2BIG
        })
        { DataStream = new MemoryStream("data"u8.ToArray()) };
        List<TarEntry> entries = [.. Enumerable.Range(0, 20).Select(static i => Tars.File($"d/f{i:00}", "x")), tooBig];
        entries.AddRange(Enumerable.Range(21, 20).Select(static i => Tars.File($"d/f{i:00}", "x")));
        entries.Add(Tars.File("../escape", "x"));
        byte[] tar = Tars.Build([.. entries]);
        List<BerthException> errors = [];
        foreach (int parallelism in new[] { 1, 8 })
        {
            using TempDirectory temp = new();
            errors.Add(Assert.ThrowsAny<BerthException>(() => Tars.Apply(tar, temp.Path, ApplyOptions.Default with { Parallelism = parallelism })));
            AssertNoWorkersLeft();
        }

        Assert.Contains("\"d/f20\"", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("user.big", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(errors[0].Message, errors[1].Message);
        Assert.Equal(errors[0].Kind, errors[1].Kind);
    }

    [Fact]
    public void CancellationStopsTheApplyAndItsWorkers()
    {
        // An aborted pull must stop writing promptly and leave no thread behind.
        byte[] tar = Tars.Build([.. Enumerable.Range(0, 3000).Select(static i => Tars.File($"d{i % 10}/f{i}", new string('c', 600)))]);
        using TempDirectory temp = new();
        using CancellationTokenSource cts = new();
        CancellingStream stream = new(tar, cancelAfter: tar.Length / 2, cts);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            LayerApplier.Apply(stream, temp.Path, ApplyOptions.Default with { Parallelism = 8 }, cts.Token));
        AssertNoWorkersLeft();
        int written = Directory.EnumerateFiles(temp.Path, "*", SearchOption.AllDirectories).Count();
        Assert.InRange(written, 1, 2999);
    }

    [Fact]
    public void ParallelismBelowOneIsRefused()
    {
        using TempDirectory temp = new();
        Assert.Throws<ArgumentOutOfRangeException>(() => Tars.Apply(Tars.Build(Tars.File("f")), temp.Path, ApplyOptions.Default with { Parallelism = 0 }));
    }

    /// <summary>Worker threads are named "berth-apply"; the kernel lists them under /proc/self/task. Apply joins
    /// them, but a joined thread's kernel task goes a moment later, so this polls briefly.</summary>
    private static void AssertNoWorkersLeft()
    {
        static int Count() => Directory.EnumerateDirectories("/proc/self/task")
            .Select(static t => { try { return System.IO.File.ReadAllText(Path.Combine(t, "comm")).Trim(); } catch (IOException) { return ""; } })
            .Count(static name => name == "berth-apply");
        for (int i = 0; i < 50 && Count() > 0; i++) Thread.Sleep(20);
        Assert.Equal(0, Count());
    }

    private sealed class CancellingStream(byte[] data, int cancelAfter, CancellationTokenSource cts) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= cancelAfter) cts.Cancel();
            return base.Read(buffer, offset, Math.Min(count, 64 << 10));
        }
    }
}

[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
