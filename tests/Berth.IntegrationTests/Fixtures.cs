using Berth.Testing;

namespace Berth.IntegrationTests;

/// <summary>Shared inputs made once per run: a busybox root filesystem tar from the machine's busybox-static.</summary>
public sealed class BaseImages : IDisposable
{
    private readonly TempDirectory _dir = new("berth-base-");

    public BaseImages()
    {
        if (!File.Exists("/bin/busybox")) return;
        BusyboxTar = _dir.Combine("busybox.tar");
        var r = Run.Tool(Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [BusyboxTar]);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    public string? BusyboxTar { get; }

    public string Require()
    {
        HostCapabilities.Require(BusyboxTar is not null, "needs /bin/busybox (apt-get install busybox-static)");
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary}); run make");
        return BusyboxTar!;
    }

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition("images")]
public sealed class ImagesCollection : ICollectionFixture<BaseImages>;

/// <summary>A snapshot of everything in a store that matters, to assert a failed command changed nothing.</summary>
public static class StoreState
{
    public static string Capture(Testing.Berth berth)
    {
        var lines = new List<string>();
        foreach (var sub in new[] { "blobs", "snapshots", "ingest" })
        {
            var dir = Path.Combine(berth.Root, sub);
            if (!Directory.Exists(dir)) continue;
            foreach (var e in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
                lines.Add(Path.GetRelativePath(berth.Root, e) + (File.Exists(e) ? " " + new FileInfo(e).Length : ""));
        }
        lines.Add(berth.Ok("images", "-a", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"));
        return string.Join('\n', lines);
    }
}
