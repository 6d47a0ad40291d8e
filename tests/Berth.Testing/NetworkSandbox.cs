using System.Diagnostics;

namespace Berth.Testing;

/// <summary>Two network namespaces of a test's own, so berth's bridges, veths and nftables rules never touch the
/// machine's: <see cref="Inside"/>, where berth runs (lo up, <c>10.231.0.1/24</c> on a veth, default route via the
/// outside), and <see cref="Outside"/> (<c>10.231.0.2/24</c>), which stands for the rest of the world and holds the
/// test's servers. No packet leaves these namespaces. Dispose kills the servers and deletes both namespaces.</summary>
public sealed class NetworkSandbox : IDisposable
{
    public const string InsideAddress = "10.231.0.1";
    public const string OutsideAddress = "10.231.0.2";

    private readonly List<Process> _servers = [];

    public NetworkSandbox()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.RequireTool("ip");
        HostCapabilities.RequireTool("nft");
        HostCapabilities.RequireTool("socat");
        var tag = Guid.NewGuid().ToString("N")[..8];
        Inside = $"berth-t-{tag}-in";
        Outside = $"berth-t-{tag}-out";
        var veth = $"bt{tag}";
        Must($"""
            ip netns add {Inside} && ip netns add {Outside} &&
            ip -n {Inside} link set lo up && ip -n {Outside} link set lo up &&
            ip -n {Inside} link add {veth}a type veth peer name {veth}b netns {Outside} &&
            ip -n {Inside} addr add {InsideAddress}/24 dev {veth}a && ip -n {Inside} link set {veth}a up &&
            ip -n {Outside} addr add {OutsideAddress}/24 dev {veth}b && ip -n {Outside} link set {veth}b up &&
            ip -n {Inside} route add default via {OutsideAddress}
            """);
        UplinkName = veth + "a";
    }

    /// <summary>The namespace berth runs in.</summary>
    public string Inside { get; }
    public string Outside { get; }
    /// <summary>The inside end of the link to the outside.</summary>
    public string UplinkName { get; }

    // nsenter --net, not `ip netns exec`: the latter also remounts /sys in a new mount namespace, which hides the
    // cgroup hierarchies berth puts its containers in.

    /// <summary>Runs a shell command in <see cref="Inside"/>.</summary>
    public RunResult InsideShell(string script, TimeSpan? timeout = null) =>
        Run.Tool("nsenter", [$"--net=/run/netns/{Inside}", "sh", "-c", script], timeout: timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Runs berth as <paramref name="berth"/>'s installation in <see cref="Inside"/>, with docker's default
    /// network (bridge).</summary>
    public RunResult Berth(Berth berth, params string[] args)
    {
        var env = new Dictionary<string, string>(berth.Environment) { ["BERTH_DEFAULT_NETWORK"] = "bridge" };
        return Run.Tool("nsenter", [$"--net=/run/netns/{Inside}", RepoPaths.BerthBinary, .. berth.GlobalArgs, .. args], env: env, timeout: TimeSpan.FromSeconds(90));
    }

    /// <summary>Starts <c>berth daemon</c> of <paramref name="berth"/>'s installation in <see cref="Inside"/>, with
    /// docker's default network (bridge).</summary>
    public BerthDaemon StartDaemon(Berth berth) =>
        new(berth, [], Inside, new Dictionary<string, string> { ["BERTH_DEFAULT_NETWORK"] = "bridge" });

    /// <summary>A TCP server in <see cref="Outside"/> on <paramref name="port"/> that answers each connection with the
    /// address it came from (what NAT made of it); returns once it accepts connections.</summary>
    public void StartEchoPeerServer(int port)
    {
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"--net=/run/netns/{Outside}", "socat", $"TCP-LISTEN:{port},bind={OutsideAddress},reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR" })
            psi.ArgumentList.Add(a);
        _servers.Add(Process.Start(psi)!);
        Wait.For(() => InsideShell($"socat -T2 - TCP:{OutsideAddress}:{port},connect-timeout=1 </dev/null").Stdout.Trim() == InsideAddress,
            $"the echo server on {OutsideAddress}:{port}", TimeSpan.FromSeconds(15));
    }

    /// <summary>The names of the links in <see cref="Inside"/>.</summary>
    public IReadOnlyList<string> InsideLinks() =>
        InsideShell("ip -o link show | cut -d: -f2 | cut -d@ -f1").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Must(string script)
    {
        var r = Run.Shell(script, TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0) throw new InvalidOperationException($"network sandbox setup failed:\n{r}");
    }

    public void Dispose()
    {
        foreach (var p in _servers)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        Run.Shell($"ip netns del {Inside}; ip netns del {Outside}", TimeSpan.FromSeconds(30));
    }
}
