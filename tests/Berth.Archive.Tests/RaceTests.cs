using System.Runtime.InteropServices;
using Berth.Archive.Tests.Support;
using Berth.Oci.Errors;

namespace Berth.Archive.Tests;

public abstract partial class RaceTests : ApplierSuite
{
    private const uint RENAME_EXCHANGE = 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [Theory, InlineData(false), InlineData(true)]
    public void SwappingADirectoryForAHostSymlinkDuringApplyNeverEscapes(bool fallback)
    {
        // CVE-2018-15664 shape: something else flips a path component between a directory and a symlink to the
        // host while entries are written through it. Resolution happens once, in the root, on descriptors, so
        // the worst outcome is a refused entry.
        using Sentinel s = new();
        string d = Path.Combine(s.Root, "d"), alt = Path.Combine(s.Root, "d-alt");
        Directory.CreateDirectory(d);
        File.CreateSymbolicLink(alt, s.Outside);
        byte[] tar = Tars.Build([.. Enumerable.Range(0, 40).Select(static i => Tars.File($"d/x{i % 4}", "pwned"))]);

        using CancellationTokenSource stop = new();
        long swaps = 0;
        Thread swapper = new(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (renameat2(-100, d, -100, alt, RENAME_EXCHANGE) == 0) swaps++;
            }
        });
        swapper.Start();
        int refused = 0;
        try
        {
            RootFs.ForceFallback = fallback;
            for (int i = 0; i < 150; i++)
            {
                try
                {
                    Apply(tar, s.Root);
                }
                catch (BerthException)
                {
                    refused++;
                }
            }
        }
        finally
        {
            RootFs.ForceFallback = false;
            stop.Cancel();
            swapper.Join();
        }

        Assert.True(swaps > 0, "the swapper never ran");
        s.AssertUntouched();
        TestContext.Current.SendDiagnosticMessage($"{swaps} swaps, {refused} of 150 applies refused");
    }
}

public sealed class SequentialRaceTests : RaceTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelRaceTests : RaceTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
