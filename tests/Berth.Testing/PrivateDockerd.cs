using System.Diagnostics;

namespace Berth.Testing;

/// <summary>A dockerd of the test's own (Debian's 20.10), to compare berth with: its own socket, data root, exec root
/// and pidfile, so it never meets the machine's docker, and <c>--iptables=false</c>. It runs in a network namespace
/// of the test's own (<paramref name="netns"/>, entered with nsenter) and keeps its default bridge there: a dockerd
/// in the machine's namespace, even with <c>--bridge=none</c>, deletes the machine's <c>docker0</c> as it starts (its
/// removeDefaultBridgeInterface), which broke every later docker run of the machine's dockerd. Started ready (it answers the docker CLI);
/// dispose removes its containers, stops it with SIGTERM, unmounts what it left and removes its directories.</summary>
public sealed class PrivateDockerd : IDisposable
{
    public const string Binary = "dockerd";

    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    public PrivateDockerd(string netns)
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.RequireTool(Binary);
        HostCapabilities.Require(File.Exists(DockerCli), $"needs the docker CLI ({DockerCli})");
        var tag = Guid.NewGuid().ToString("N")[..10];
        // Short paths: containerd's sockets live under the exec root, and a unix socket path has 108 bytes.
        DataRoot = $"/var/tmp/berth-dockerd-{tag}";
        ExecRoot = $"/tmp/berth-dockerd-{tag}-exec";
        Socket = $"/tmp/berth-dockerd-{tag}.sock";
        PidFile = $"/tmp/berth-dockerd-{tag}.pid";
        string[] args = ["-H", "unix://" + Socket, "--data-root", DataRoot, "--exec-root", ExecRoot, "--pidfile", PidFile, "--iptables=false", "--log-level", "warn"];
        args = [$"--net=/run/netns/{netns}", Binary, .. args];
        var psi = new ProcessStartInfo("nsenter")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var ready = Wait.Until(() => _process.HasExited || (File.Exists(Socket) && Docker("version", "--format", "{{.Server.Version}}").ExitCode == 0),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        if (!ready || _process.HasExited)
        {
            Dispose();
            Xunit.Assert.Fail($"dockerd did not come up on {Socket}:\n{Log}");
        }
    }

    public const string DockerCli = "/usr/local/bin/docker";

    public string Socket { get; }
    public string DataRoot { get; }
    public string ExecRoot { get; }
    public string PidFile { get; }
    public string Host => "unix://" + Socket;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The environment that points docker clients at this daemon (legacy builder, as for berth).</summary>
    public IDictionary<string, string> ClientEnvironment => new Dictionary<string, string> { ["DOCKER_HOST"] = Host, ["DOCKER_BUILDKIT"] = "0" };

    public RunResult Docker(params string[] args) => Run.Tool(DockerCli, args, timeout: TimeSpan.FromSeconds(60), env: ClientEnvironment);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Containers first: dockerd's own shutdown waits up to 15 s for each that ignores SIGTERM.
                var ids = Docker("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (ids.Length > 0) Docker(["rm", "-f", .. ids]);
                Run.Tool("/bin/kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit();
        }
        finally
        {
            _process.Dispose();
            // What a stopped dockerd may leave mounted (overlays, netns bind mounts, its containerd's shm): unmounted
            // first, so that removing the directories never walks into a mount.
            foreach (var mount in MountsUnder(DataRoot).Concat(MountsUnder(ExecRoot)).OrderByDescending(m => m.Length))
                Run.Tool("umount", ["-l", mount]);
            if (!MountsUnder(DataRoot).Concat(MountsUnder(ExecRoot)).Any())
            {
                foreach (var dir in new[] { DataRoot, ExecRoot })
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            File.Delete(Socket);
            File.Delete(PidFile);
        }
    }

    private static IEnumerable<string> MountsUnder(string dir) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m == dir || m.StartsWith(dir + "/", StringComparison.Ordinal))
            .ToList();
}
