using Berth.Testing;

namespace Berth.Build.Tests;

/// <summary>A store with the busybox base image imported once, shared by the build tests (each build uses its own
/// context directory and tags).</summary>
public sealed class BuildFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-build-");

    public BuildFixture()
    {
        if (!File.Exists("/bin/busybox") || !Environment.IsPrivilegedProcess || !File.Exists(RepoPaths.BerthBinary)) return;
        BusyboxTar = _dir.Combine("busybox.tar");
        var r = Run.Tool(Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [BusyboxTar]);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        Berth = new Testing.Berth(_dir.Sub("root"));
        Berth.Ok("import", BusyboxTar, "busybox:latest");
    }

    public string? BusyboxTar { get; }
    public Testing.Berth? Berth { get; }
    public string Root => _dir.Path;

    public Testing.Berth Require()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists("/bin/busybox"), "needs /bin/busybox (apt-get install busybox-static)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return Berth!;
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

    /// <summary>A unique tag, so tests sharing the fixture's store never meet.</summary>
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
        Berth?.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition("build")]
public sealed class BuildCollection : ICollectionFixture<BuildFixture>;
