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
        var psi = new ProcessStartInfo(RepoPaths.BerthBinary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["--root", Root, .. args]) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public IReadOnlyList<string> AllIds() =>
        Ok("ps", "-aq", "--no-trunc").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Asserts that no container of this store holds a mount, a cgroup or runtime state.</summary>
    public void AssertClean(IEnumerable<string> ids)
    {
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        Assert.DoesNotContain(Root, mountinfo);
        foreach (var id in ids)
        {
            Assert.DoesNotContain(id, mountinfo);
            foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
            {
                var dir = Path.Combine(hierarchy, "berth", id);
                Assert.False(Directory.Exists(dir), $"cgroup {dir} was left behind");
            }
            Assert.False(File.Exists($"/run/berth/attach/{id}.sock"), $"attach socket of {id} was left behind");
        }
        var runtime = Path.Combine(Root, "runtime");
        if (Directory.Exists(runtime)) Assert.Empty(Directory.EnumerateFileSystemEntries(runtime));
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
            _dir.Dispose();
        }
    }
}
