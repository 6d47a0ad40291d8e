using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>Waiting for a container's log line when berth runs in a sandbox.</summary>
public static class SandboxLogs
{
    public static void WaitForLogInside(this Testing.Berth berth, BridgeSandbox s, string container, string marker) =>
        Wait.For(() => s.Run("logs", container).Stdout.Split('\n').Contains(marker), $"\"{marker}\" in the log of {container}");
}

/// <summary>The busybox image as a tar, made once for the network tests.</summary>
public sealed class BusyboxImage : IDisposable
{
    private readonly TempDirectory _dir = new("berth-net-image");

    public BusyboxImage()
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

[CollectionDefinition("network")]
public sealed class NetworkCollection : ICollectionFixture<BusyboxImage>;

/// <summary>A berth installation with busybox imported, running inside a <see cref="NetworkSandbox"/> with docker's
/// default network (bridge). Dispose removes every container and then asserts what issue 11 asks of teardown: no
/// veth left in berth's namespace, no address still allocated.</summary>
public sealed class BridgeSandbox : IDisposable
{
    private readonly TempDirectory _dir = new("berth-net");

    public BridgeSandbox(BusyboxImage image)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists(image.Tar), "needs busybox-static (scripts/make-busybox-rootfs)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        Net = new NetworkSandbox();
        Berth = new Testing.Berth(_dir.Combine("root"));
        // The host's resolver, as berth sees it: the outside namespace (where a test may run a DNS server).
        ResolvConf = _dir.Combine("resolv.conf");
        File.WriteAllText(ResolvConf, $"nameserver {NetworkSandbox.OutsideAddress}\n");
        Berth.ExtraEnvironment["BERTH_RESOLV_CONF"] = ResolvConf;
        Ok("import", "--change", "CMD [\"/bin/sh\"]", image.Tar, "busybox");
    }

    public NetworkSandbox Net { get; }
    /// <summary>The resolv.conf berth takes for the host's (<c>BERTH_RESOLV_CONF</c>).</summary>
    public string ResolvConf { get; }

    /// <summary>The PIDs of this installation's network resolvers (<c>berth resolver ROOT NETWORK</c>).</summary>
    public IReadOnlyList<int> Resolvers()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv is [_, "resolver", var root, ..] && root == Berth.Root) pids.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }
    public Testing.Berth Berth { get; }

    public RunResult Run(params string[] args) => Net.Berth(Berth, args);

    public string Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"berth {string.Join(' ', args)} failed:\n{r}");
        return r.Stdout;
    }

    /// <summary>Host-side veths in berth's namespace (the containers' ends are inside their own namespaces).</summary>
    public IReadOnlyList<string> Veths() => Net.InsideLinks().Where(l => l.StartsWith("veth", StringComparison.Ordinal)).ToList();

    /// <summary>Waits until no host-side veth is left: a container's end retires its veths and the kernel deletes
    /// them with the container's namespace, in its own time (milliseconds).</summary>
    public void WaitForNoVeths() =>
        Wait.For(() => Veths().Count == 0, "the kernel to delete the veths of the containers' dead namespaces", TimeSpan.FromSeconds(10));

    /// <summary>Addresses the store still has handed out.</summary>
    public string Endpoints() =>
        Testing.Run.Tool("sqlite3", [Path.Combine(Berth.Root, "metadata.db"), "SELECT container_id, address FROM endpoints"]).Stdout;

    public void Dispose()
    {
        try
        {
            var ids = Run("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0) Run(["rm", "-f", .. ids]);
            WaitForNoVeths();
            Assert.Equal("", Endpoints());
            Assert.Empty(Berth.LeftoverCgroups());
            // Every network's resolver exits with its network's last endpoint.
            Wait.For(() => Resolvers().Count == 0, "the network resolvers to exit", TimeSpan.FromSeconds(10));
        }
        finally
        {
            Net.Dispose();
            Berth.Dispose();
            _dir.Dispose();
        }
    }
}
