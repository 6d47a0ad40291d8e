using System.Diagnostics;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>The busybox base image as a tar, made once for the whole run.</summary>
public sealed class BusyboxFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-ctr-image");

    public BusyboxFixture()
    {
        Tar = _dir.Combine("busybox.tar");
        if (File.Exists("/bin/busybox") && HostCapabilities.IsRoot)
        {
            var r = Run.Tool(Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [Tar]);
            if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        }
    }

    public string Tar { get; }

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition("containers")]
public sealed class ContainersCollection : ICollectionFixture<BusyboxFixture>;

/// <summary>A private store root with busybox imported; on dispose it removes every container left and asserts
/// that nothing of them remains: no mounts naming the root, no cgroups, no runtime state.</summary>
public sealed class ContainerStore : IDisposable
{
    private readonly TempDirectory _dir = new("berth-ctr");

    public ContainerStore(BusyboxFixture image)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(image.Tar), "needs busybox-static (scripts/make-busybox-rootfs)");
        Root = _dir.Combine("root");
        Berth = new Testing.Berth(Root);
        Berth.Ok("import", image.Tar, "busybox");
    }

    public string Root { get; }
    public Testing.Berth Berth { get; }
    public TempDirectory Dir => _dir;

    public RunResult Run(params string[] args) => Berth.Run(args);

    public string Ok(params string[] args) => Berth.Ok(args);

    /// <summary>Runs berth with <paramref name="input"/> on its stdin, asserting exit 0; returns stdout.</summary>
    public string RunWithStdin(string input, params string[] args)
    {
        var r = RunWithStdinResult(input, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }

    /// <summary>Runs berth with <paramref name="input"/> on its stdin, whatever its exit code.</summary>
    public RunResult RunWithStdinResult(string input, params string[] args)
    {
        var file = _dir.Combine("stdin-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, input);
        return Berth.RunWithStdin(file, args);
    }

    /// <summary>Starts berth without waiting, for tests that signal or read it while it runs.</summary>
    public Process Start(params string[] args)
    {
        return Process.Start(Berth.StartInfo(args))!;
    }

    public IReadOnlyList<string> AllIds() =>
        Ok("ps", "-aq", "--no-trunc").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The attach socket of a container of this store.</summary>
    public string AttachSocketOf(string id) => Path.Combine(Berth.StateDir, "attach", id + ".sock");

    /// <summary>Asserts that no container of this store holds a mount, a cgroup, an attach socket or runtime state:
    /// whatever its ids (a <c>--rm</c> container or one already removed is not in <c>ps -a</c> any more), by
    /// looking at everything of this installation.</summary>
    public void AssertClean(IEnumerable<string> ids)
    {
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        Assert.DoesNotContain(Root, mountinfo);
        foreach (var id in ids) Assert.DoesNotContain(id, mountinfo);
        Assert.Empty(Berth.LeftoverCgroups());
        foreach (var dir in new[] { "attach", "runtime" }.Select(d => Path.Combine(Berth.StateDir, d)).Where(Directory.Exists))
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    public void Dispose()
    {
        try
        {
            var ids = Directory.Exists(Root) ? AllIds() : [];
            if (ids.Count > 0) Berth.Run(["rm", "-f", .. ids]);
            if (Directory.Exists(Root)) AssertClean(ids);
        }
        finally
        {
            Berth.Dispose();
            _dir.Dispose();
        }
    }
}
