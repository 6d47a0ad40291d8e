using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>The busybox base image as a tar, made once for the whole run.</summary>
public sealed class BusyboxFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-api-image");

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

[CollectionDefinition("api")]
public sealed class ApiCollection : ICollectionFixture<BusyboxFixture>;

/// <summary>A private installation (root, state directory, cgroup parent) with busybox:latest imported and its own
/// <c>berth daemon</c> on its own socket. Dispose removes the containers left, stops the daemon (SIGTERM, which
/// must end it with 0) and checks the store.</summary>
public sealed class ApiStore : IDisposable
{
    private readonly TempDirectory _dir = new("berth-api");
    private readonly NetworkSandbox? _net;

    /// <param name="net">Runs the daemon in this sandbox's namespace with the bridge as default network (the
    /// tests that make bridges); without it, the daemon runs here with no network, and makes none.</param>
    public ApiStore(BusyboxFixture image, NetworkSandbox? net = null)
    {
        HostCapabilities.RequireRoot();
        _net = net;
        HostCapabilities.Require(File.Exists(image.Tar), "needs busybox-static (scripts/make-busybox-rootfs)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        Berth = new Testing.Berth(_dir.Combine("root"));
        Berth.Ok("import", "--change", "CMD [\"/bin/sh\"]", image.Tar, "busybox:latest");
        Daemon = net is null ? Berth.StartDaemon() : net.StartDaemon(Berth);
    }

    public Testing.Berth Berth { get; }
    public BerthDaemon Daemon { get; }
    public TempDirectory Dir => _dir;

    public RunResult Docker(params string[] args) => Daemon.Docker(args);

    public string DockerOk(params string[] args) => Daemon.DockerOk(args);

    /// <summary>docker-compose (an Engine API client) on <paramref name="projectDir"/>'s docker-compose.yml as
    /// project "proj", against this daemon.</summary>
    public RunResult Compose(string projectDir, TimeSpan timeout, params string[] args) =>
        Run.Tool("docker-compose", ["-f", Path.Combine(projectDir, "docker-compose.yml"), "-p", "proj", .. args], timeout: timeout, env: Daemon.ClientEnvironment);

    public void Dispose()
    {
        try
        {
            var ids = Berth.Ok("ps", "-aq", "--no-trunc").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // In a sandbox, through the daemon: a berth run here would release the containers' ports in this
            // namespace's nftables instead of the sandbox's.
            if (ids.Length > 0 && _net is not null) Docker(["rm", "-f", .. ids]);
            else if (ids.Length > 0) Berth.Run(["rm", "-f", .. ids]);
            Daemon.Dispose();
            Assert.Empty(Berth.LeftoverCgroups());
        }
        finally
        {
            Berth.Dispose();
            _dir.Dispose();
        }
    }
}
