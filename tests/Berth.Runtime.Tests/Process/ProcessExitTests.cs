using System.Diagnostics;
using Berth.Runtime.Process;

namespace Berth.Runtime.Tests.Process;

/// <summary>Waiting for a process's exit through its pidfd: woken by the exit itself, bounded by the timeout,
/// ended by cancellation, and never fooled by a PID that names another process now.</summary>
public sealed class ProcessExitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitReturnsAtTheExitNotAtTheTimeout()
    {
        using var child = System.Diagnostics.Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        var start = ProcessInfo.StartTime(child.Id) ?? throw new InvalidOperationException("no start time");
        Assert.False(ProcessExit.Wait(child.Id, start, TimeSpan.FromMilliseconds(200), Ct));
        var clock = Stopwatch.StartNew();
        var waiting = ProcessExit.WaitAsync(child.Id, start, TimeSpan.FromSeconds(60), Ct);
        child.Kill();
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct), "the wait did not end with the process");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AWaitIsCancelledAndAnotherProcessUnderThePidIsNotWaitedFor()
    {
        using var child = System.Diagnostics.Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        var start = ProcessInfo.StartTime(child.Id) ?? throw new InvalidOperationException("no start time");
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var waiting = ProcessExit.WaitAsync(child.Id, start, Timeout.InfiniteTimeSpan, cts.Token);
            cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct));
            // The same PID with another start time is another process: gone as far as this wait is concerned.
            Assert.True(ProcessExit.Wait(child.Id, start + 1, TimeSpan.FromSeconds(30), Ct));
            Assert.False(child.HasExited);
        }
        finally
        {
            child.Kill();
        }
    }
}
