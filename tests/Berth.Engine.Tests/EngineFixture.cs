using Berth.Engine;
using Berth.Testing;

namespace Berth.Engine.Tests;

[CollectionDefinition("engine")]
public sealed class EngineCollection : ICollectionFixture<BusyboxTar>;

/// <summary>An engine in this process over a private installation (root, fresh state directory, cgroup parent),
/// with busybox imported through the engine itself. Containers' monitors and inits are the berth binary. The tests
/// drive the engine's typed requests only, never the CLI, so the same tests can later run through the Engine
/// API.</summary>
public sealed class EngineUnderTest : IDisposable
{
    private readonly TempDirectory _dir = new("berth-engine");

    public EngineUnderTest(BusyboxTar image)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(image.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        Options = new EngineOptions
        {
            Root = _dir.Combine("root"),
            StateDir = _dir.Combine("state"),
            CgroupParent = "/berth-test-" + Guid.NewGuid().ToString("N")[..12],
            Executable = RepoPaths.BerthBinary,
            // The host's network namespace gets no bridge from a test (see Berth.Testing's HostNetworkGuard).
            DefaultNetwork = "none",
        };
        Engine = new BerthEngine(Options);
        using var tar = File.OpenRead(image.Path);
        BusyboxId = Engine.Images.Import(tar, new Images.ImageService.ImportOptions { Reference = "busybox:latest", Changes = ["CMD [\"/bin/sh\"]"], SourceName = image.Path },
            TestContext.Current.CancellationToken);
    }

    public EngineOptions Options { get; }
    public BerthEngine Engine { get; }
    public Oci.Digest BusyboxId { get; }
    public TempDirectory Dir => _dir;

    /// <summary>The cgroups left under this installation's parent.
    /// A parent may go between the look and the listing (the engine removes it when its last container goes).</summary>
    public IReadOnlyList<string> LeftoverCgroups() =>
        Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(h => h + Options.CgroupParent)
            .SelectMany(Children).ToList();

    private static IEnumerable<string> Children(string parent)
    {
        try
        {
            return Directory.GetDirectories(parent);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        try
        {
            foreach (var row in Engine.Containers.List())
                Engine.Containers.Remove(row, force: true, removeVolumes: true, CancellationToken.None);
            Assert.Empty(LeftoverCgroups());
            Assert.DoesNotContain(Options.Root, File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            Engine.Dispose();
            foreach (var h in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
            {
                try
                {
                    if (Directory.Exists(h + Options.CgroupParent)) Directory.Delete(h + Options.CgroupParent);
                }
                catch (IOException)
                {
                }
            }
            _dir.Dispose();
        }
    }
}
