using Berth.Testing;

namespace Berth.Build.Tests;

/// <summary>The busybox base image, made once for the collection, and a private installation per test: every
/// <see cref="Require"/> gives a new store (root, state directory, cgroup parent, build cache) with busybox:latest
/// imported, so a cache hit or miss never depends on which tests ran before.</summary>
public sealed class BuildFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-build-");
    private readonly System.Collections.Concurrent.ConcurrentQueue<Testing.Berth> _installations = new();

    public BuildFixture()
    {
        if (!File.Exists("/bin/busybox") || !Environment.IsPrivilegedProcess || !File.Exists(RepoPaths.BerthBinary)) return;
        BusyboxTar = _dir.Combine("busybox.tar");
        var r = Run.Tool(Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [BusyboxTar]);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    public string? BusyboxTar { get; }
    public string Root => _dir.Path;

    /// <summary>Checks what build tests need and returns a fresh installation of the test's own, busybox:latest
    /// imported (call it once per test: a second call is another store).</summary>
    public Testing.Berth Require()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists("/bin/busybox"), "needs /bin/busybox (apt-get install busybox-static)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        var berth = new Testing.Berth(_dir.Sub("root-" + Guid.NewGuid().ToString("N")[..8]));
        _installations.Enqueue(berth);
        berth.Ok("import", BusyboxTar!, "busybox:latest");
        return berth;
    }

    /// <summary>A new context directory with the given files (relative path → content).</summary>
    public string Context(params (string Path, string Content)[] files)
    {
        var dir = _dir.Sub("ctx-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (p, c) in files)
        {
            var full = Path.Combine(dir, p);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, c);
        }
        return dir;
    }

    /// <summary>A unique tag.</summary>
    public static string Tag(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..8]}:t";

    /// <summary><c>berth build --progress=plain ARGS</c>, asserting success; returns the progress (stderr).</summary>
    public static string BuildOk(Testing.Berth berth, params string[] args)
    {
        var r = berth.Run(["build", "--progress=plain", .. args]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stderr;
    }

    public void Dispose()
    {
        foreach (var berth in _installations) berth.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition("build")]
public sealed class BuildCollection : ICollectionFixture<BuildFixture>;
