using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;
using Berth.Testing;

namespace Berth.Runtime.Tests.Support;

/// <summary>What every container test shares: a state root, a cgroup parent of its own (so the host's cgroup tree
/// can be checked for leftovers without seeing anyone else's), and the checks that a test left nothing behind.</summary>
public sealed class RuntimeFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-rt");
    private int _next;

    public RuntimeFixture()
    {
        StateRoot = _dir.Sub("state");
        SeccompCacheDir = _dir.Combine("seccomp");
        CliStateDir = _dir.Combine("cli-state");
        CgroupParent = $"/berth-test-{Guid.NewGuid():N}"[..24];
    }

    public string StateRoot { get; }

    /// <summary>This fixture's own seccomp cache: not created up front, so the runtime must make it.</summary>
    public string SeccompCacheDir { get; }

    /// <summary>The state directory of <c>berth runtime</c> runs (its seccomp cache), made by berth on demand.</summary>
    public string CliStateDir { get; }
    public string CgroupParent { get; }
    public string Berth => RepoPaths.BerthBinary;

    /// <summary>Skips (fails under CI) unless this host can run containers.</summary>
    public void Require()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists("/bin/busybox"), "needs /bin/busybox (apt-get install busybox-static)");
        HostCapabilities.Require(File.Exists(Berth), $"needs the berth binary at {Berth} (dotnet build src/Berth)");
    }

    public string NextId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 20)];

    public ContainerRuntime Runtime(bool noOpenat2 = false) => new(new RuntimeOptions { StateRoot = StateRoot, SeccompCacheDir = SeccompCacheDir, InitPath = Berth, NoOpenat2 = noOpenat2 });

    /// <summary>Runs a bundle to completion through the library API, returning its status and stdout+stderr.</summary>
    public (ExitStatus Status, string Output) RunToCompletion(BusyboxBundle bundle, bool noOpenat2 = false)
    {
        var runtime = Runtime(noOpenat2);
        using var dir = new TempDirectory("berth-out");
        ExitStatus status;
        using (var output = File.Create(dir.Combine("out")))
        {
            using var c = runtime.Create(bundle.Id, bundle.Path, new CreateOptions { Stdio = new ContainerStdio { Stdout = output.SafeFileHandle, Stderr = output.SafeFileHandle } });
            try
            {
                c.Start();
                status = c.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            }
            finally
            {
                runtime.Delete(bundle.Id, force: true);
            }
        }
        return (status, File.ReadAllText(dir.Combine("out")));
    }

    public BusyboxBundle Bundle(string id, RunOptions options, Action<string>? customizeRootfs = null) =>
        BusyboxBundle.Create(id, options with { CgroupParent = CgroupParent }, customizeRootfs);

    public RunResult Cli(params string[] args) => Run.Tool(Berth, ["--state-dir", CliStateDir, "runtime", "--state-root", StateRoot, .. args], timeout: TimeSpan.FromSeconds(90));

    /// <summary>Runs a verb whose container outlives it (create, run -d): the container inherits the CLI's stdio,
    /// so it goes to files, not to pipes a reader would wait on until the container exits.</summary>
    public RunResult CliDetached(params string[] args)
    {
        using var dir = new TempDirectory("berth-cli");
        var script = "exec \"$0\" \"$@\" </dev/null >" + dir.Combine("out") + " 2>" + dir.Combine("err");
        var r = Run.Tool("/bin/sh", ["-c", script, Berth, "--state-dir", CliStateDir, "runtime", "--state-root", StateRoot, .. args], timeout: TimeSpan.FromSeconds(90));
        return r with { Stdout = File.ReadAllText(dir.Combine("out")), Stderr = File.ReadAllText(dir.Combine("err")) };
    }

    /// <summary>Runs a bundle under runc (a state directory of its own, the container named ID-runc) for the tests
    /// that compare berth with it, and removes what runc leaves: its container's cgroup, whose parent runc created
    /// and (unlike berth) does not remove.</summary>
    public RunResult Runc(string bundlePath, string id)
    {
        using var state = new TempDirectory("berth-runc");
        var result = Run.Tool("runc", ["--root", state.Path, "run", "--bundle", bundlePath, id + "-runc"], timeout: TimeSpan.FromSeconds(60));
        foreach (var dir in CgroupPaths(id + "-runc").Values) if (Directory.Exists(dir)) Directory.Delete(dir);
        return result;
    }

    /// <summary>The container's cgroup directories (by hierarchy name; "" on a unified host).</summary>
    public IReadOnlyDictionary<string, string> CgroupPaths(string id) =>
        CgroupManagers.For(CgroupLayout.Detect(), $"{CgroupParent}/{id}").Paths;

    /// <summary>Nothing of a finished container may remain: no state, no cgroup, no mount on the host.</summary>
    public void AssertClean(params string[] hostPaths)
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(StateRoot));
        foreach (var dir in CgroupManagers.For(CgroupLayout.Detect(), CgroupParent + "/x").Paths.Values.Select(Path.GetDirectoryName))
        {
            if (Directory.Exists(dir)) Assert.Empty(Directory.EnumerateDirectories(dir!));
        }
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        foreach (var p in hostPaths.Append(Berth))
            Assert.DoesNotContain(" " + p, mountinfo);
    }

    public void Dispose()
    {
        // The parent directory itself is removed when its last container goes; make sure, for a failed run.
        foreach (var dir in CgroupManagers.For(CgroupLayout.Detect(), CgroupParent + "/x").Paths.Values.Select(Path.GetDirectoryName))
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir!); } catch (IOException) { }
        }
        _dir.Dispose();
    }
}

[CollectionDefinition("containers", DisableParallelization = true)]
public sealed class ContainersCollection : ICollectionFixture<RuntimeFixture>;
