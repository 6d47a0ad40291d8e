using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Tests.Integration;

/// <summary>The fork gap (Process/InitSpawner): a multi-threaded .NET process starts a child in new namespaces from
/// one dedicated thread, and neither it nor any of its other threads ends up in them.</summary>
[Collection("containers")]
public sealed class SpawnerTests(RuntimeFixture fx)
{
    private static readonly string[] Kinds = ["mnt", "pid_for_children", "net", "uts", "ipc", "cgroup"];

    private static string Ns(string task, string kind) => ReadLinkAt(AT_FDCWD, $"{task}/ns/{kind}");

    [Fact]
    public async Task TheCallersThreadsKeepTheirNamespacesAndTheInitGetsNewOnes()
    {
        // Only the spawn thread unshares, and it ends; every thread of the caller stays where it was, and the init
        // is PID 1 of namespaces of its own.
        fx.Require();
        var before = Kinds.ToDictionary(k => k, k => Ns("/proc/self", k));
        var busy = Enumerable.Range(0, 8).Select(_ => Task.Run(() => Thread.Sleep(300))).ToArray();
        var id = fx.NextId("spawn");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["true"] });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string[] nsOfTask;
                try { nsOfTask = Kinds.Select(k => Ns(task, k)).ToArray(); }
                catch (SyscallException) { continue; } // a thread that exited meanwhile
                Assert.Equal(before.Values, nsOfTask);
            }
            foreach (var kind in new[] { "mnt", "net", "uts", "ipc", "cgroup" })
                Assert.NotEqual(before[kind], Ns($"/proc/{c.Pid}", kind));
            Assert.Contains("NSpid:\t" + c.Pid + "\t1", File.ReadAllText($"/proc/{c.Pid}/status"));
            c.Start();
            Assert.Equal(0, (await c.WaitAsync(TestContext.Current.CancellationToken)).ExitCode);
        }
        finally
        {
            runtime.Delete(id, force: true);
        }
        await Task.WhenAll(busy);
        Assert.Equal(before, Kinds.ToDictionary(k => k, k => Ns("/proc/self", k)));
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task ManyContainersInParallelFromOneProcess()
    {
        // The engine starts containers concurrently; each spawn thread is independent.
        fx.Require();
        var runtime = fx.Runtime();
        var bundles = Enumerable.Range(0, 6).Select(i => fx.Bundle(fx.NextId("par"), new RunOptions { Command = ["sh", "-c", $"exit {i}"] })).ToList();
        try
        {
            var results = await Task.WhenAll(bundles.Select((b, i) => Task.Run(async () =>
            {
                using var c = runtime.Create(b.Id, b.Path);
                c.Start();
                var status = await c.WaitAsync(TestContext.Current.CancellationToken);
                runtime.Delete(b.Id);
                return status.ExitCode;
            })));
            Assert.Equal(Enumerable.Range(0, 6), results);
        }
        finally
        {
            foreach (var b in bundles) b.Dispose();
        }
        fx.AssertClean();
    }
}
