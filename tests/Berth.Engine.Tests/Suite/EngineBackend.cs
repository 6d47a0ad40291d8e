using Berth.Testing;

namespace Berth.Engine.Tests.Suite;

/// <summary>A private installation (root, fresh state directory, cgroup parent; no network, so nothing is made in
/// the host's namespace) driven through one backend of the shared suite: <see cref="InProcess"/>, the engine in
/// this process, or <see cref="Api"/>, the Docker Engine API of a <c>berth daemon</c> of its own on its own socket.
/// busybox:latest is imported through the backend itself. What the suite checks on the machine (cgroups, mounts,
/// container directories, attach sockets, the store's consistency) is read here, the same way for both. Dispose
/// removes the containers left through the backend, stops it (the daemon must exit 0 on SIGTERM) and fails the
/// test on a cgroup or mount left behind.</summary>
public sealed class EngineBackend : IAsyncDisposable
{
    public const string InProcess = "in-process";
    public const string Api = "api";

    private readonly TempDirectory _dir = new("berth-engine-suite");
    private readonly Testing.Berth _installation;
    private readonly BerthDaemon? _daemon;
    private readonly int? _daemonPid;

    private EngineBackend(string backend)
    {
        _installation = new Testing.Berth(_dir.Combine("root"));
        Options = new EngineOptions
        {
            Root = _installation.Root,
            StateDir = _installation.StateDir,
            CgroupParent = _installation.CgroupParent,
            Executable = RepoPaths.BerthBinary,
            // The host's network namespace gets no bridge from a test (see Berth.Testing's HostNetworkGuard).
            DefaultNetwork = "none",
        };
        switch (backend)
        {
            case InProcess:
                Client = new InProcessEngineClient(Options);
                break;
            case Api:
                _daemon = new BerthDaemon(_installation, [], environment: new Dictionary<string, string> { [EngineOptions.DefaultNetworkVariable] = "none" });
                _daemonPid = _daemon.Pid;
                Client = new ApiEngineClient(_daemon);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(backend), backend, "no such backend");
        }
    }

    /// <summary>The backends, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> All => [InProcess, Api];

    public static async Task<EngineBackend> StartAsync(string backend, BusyboxTar image, CancellationToken ct)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(image.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        if (backend == Api)
        {
            var daemon = Path.Combine(Path.GetDirectoryName(RepoPaths.BerthBinary)!, "berth-daemon");
            HostCapabilities.Require(File.Exists(daemon), $"needs berth-daemon beside berth ({daemon}: build src/Berth.Daemon)");
        }
        var e = new EngineBackend(backend);
        try
        {
            e.BusyboxId = await e.Client.ImportAsync(image.Path, "busybox:latest", ["CMD [\"/bin/sh\"]"], ct);
            return e;
        }
        catch
        {
            await e.DisposeAsync();
            throw;
        }
    }

    public IEngineClient Client { get; }
    public string BusyboxId { get; private set; } = "";
    public EngineOptions Options { get; }
    public TempDirectory Dir => _dir;

    /// <summary>The daemon's log, for assertion messages (empty in-process).</summary>
    public string DaemonLog => _daemon?.Log ?? "";

    /// <summary>The cgroups left under this installation's parent, in every hierarchy.</summary>
    public IReadOnlyList<string> LeftoverCgroups() => _installation.LeftoverCgroups();

    /// <summary>A container's directory in the store (its config, log, upper layer).</summary>
    public string ContainerDirOf(string id) => Path.Combine(Options.Root, "containers", id);

    /// <summary>A running container's attach socket, which its monitor serves.</summary>
    public string AttachSocketOf(string id) => Path.Combine(Options.AttachDir, id + ".sock");

    /// <summary>The store's own consistency check (<c>berth system check</c>). The Engine API has no such endpoint,
    /// so for the API backend an engine in this process opens the daemon's store beside it, as the berth CLI does
    /// while a daemon runs.</summary>
    public bool StoreIsClean(CancellationToken ct)
    {
        if (Client is InProcessEngineClient local) return local.Engine.Images.Check(repair: false, ct).Clean;
        using var engine = new BerthEngine(Options);
        return engine.Images.Check(repair: false, ct).Clean;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            try
            {
                foreach (var id in await Client.ListContainersAsync(all: true, null, CancellationToken.None))
                    await Client.RemoveContainerAsync(id, force: true, removeVolumes: true, CancellationToken.None);
            }
            finally
            {
                await Client.DisposeAsync();
                _daemon?.Dispose();
            }
            if (_daemonPid is { } pid) Assert.False(Directory.Exists($"/proc/{pid}"), $"berth daemon {pid} still runs");
            Assert.Empty(LeftoverCgroups());
            Assert.DoesNotContain(Options.Root, File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            _installation.Dispose();
            _dir.Dispose();
        }
    }
}
