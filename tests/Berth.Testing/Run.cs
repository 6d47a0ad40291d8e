using System.Diagnostics;

namespace Berth.Testing;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>Asserts the exact exit code (docker's: 1 an error, 125 a usage error or berth's own failure around a
    /// container, 126/127 a command that cannot run or is not found, else the command's own) and, when given, a
    /// part of the error message on stderr.</summary>
    public RunResult AssertExit(int code, string? stderrContains = null)
    {
        Xunit.Assert.True(ExitCode == code && (stderrContains is null || Stderr.Contains(stderrContains, StringComparison.Ordinal)),
            $"expected exit {code}{(stderrContains is null ? "" : $" and \"{stderrContains}\" on stderr")}, got:\n{this}");
        return this;
    }
}

/// <summary>Runs a program (berth or a peer) to completion with a timeout, capturing its output.</summary>
public static class Run
{
    public static RunResult Tool(string file, IEnumerable<string> args, string? stdinFile = null, TimeSpan? timeout = null,
        IDictionary<string, string>? env = null, string? stdoutFile = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdinFile is not null, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        Task<string> outTask;
        if (stdoutFile is not null)
            outTask = Task.Run(async () =>
            {
                await using var f = File.Create(stdoutFile);
                await p.StandardOutput.BaseStream.CopyToAsync(f);
                return "";
            });
        else outTask = p.StandardOutput.ReadToEndAsync();
        if (stdinFile is not null)
        {
            using (var f = File.OpenRead(stdinFile)) f.CopyTo(p.StandardInput.BaseStream);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            // What it printed until then says where it hung.
            Task.WaitAll([outTask, errTask], TimeSpan.FromSeconds(10));
            static string Tail(Task<string> t) => t.IsCompletedSuccessfully ? t.Result[Math.Max(0, t.Result.Length - 6000)..] : "(not read)";
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout ?? TimeSpan.FromMinutes(3)}\n"
                + $"--- stdout (tail)\n{Tail(outTask)}\n--- stderr (tail)\n{Tail(errTask)}");
        }
        return new RunResult(p.ExitCode, outTask.GetAwaiter().GetResult(), errTask.GetAwaiter().GetResult());
    }

    public static RunResult Shell(string script, TimeSpan? timeout = null) => Tool("/bin/sh", ["-c", script], timeout: timeout);
}

/// <summary>The berth CLI as a private installation: its own store root, its own fresh state directory (beside the
/// root, empty as after a boot, so a missing <c>mkdir</c> fails a test instead of hiding behind an earlier one) and
/// its own cgroup parent. Dispose removes the cgroup parent; <see cref="LeftoverCgroups"/> says what is still in it.</summary>
public sealed class Berth : IDisposable
{
    public Berth(string root)
    {
        Root = root;
        StateDir = root.TrimEnd('/') + "-state";
        CgroupParent = "/berth-test-" + Guid.NewGuid().ToString("N")[..12];
    }

    public string Root { get; }
    public string StateDir { get; }
    public string CgroupParent { get; }

    /// <summary>The global flags that select this installation.</summary>
    public IReadOnlyList<string> GlobalArgs => ["--root", Root, "--state-dir", StateDir];

    /// <summary>The environment every berth of this installation runs with.</summary>
    public IDictionary<string, string> Environment =>
        new Dictionary<string, string>(ExtraEnvironment) { ["BERTH_CGROUP_PARENT"] = CgroupParent };

    /// <summary>More environment for every berth of this installation (a test's <c>DOCKER_CONFIG</c>,
    /// <c>BERTH_CONFIG</c>).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    /// <summary>A shell command line running berth as this installation (for <c>script -c</c> and the like).</summary>
    public string CommandLine => $"env {string.Concat(ExtraEnvironment.Select(e => $"'{e.Key}={e.Value}' "))}BERTH_CGROUP_PARENT={CgroupParent} {RepoPaths.BerthBinary} --root '{Root}' --state-dir '{StateDir}'";

    /// <summary>A start info for tests that drive the process themselves (signals, stdin, timing).</summary>
    public ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo(RepoPaths.BerthBinary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in GlobalArgs.Concat(args)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        return psi;
    }

    public RunResult Run(params string[] args) => Testing.Run.Tool(RepoPaths.BerthBinary, [.. GlobalArgs, .. args], env: Environment);

    public RunResult RunWithStdin(string stdinFile, params string[] args) => Testing.Run.Tool(RepoPaths.BerthBinary, [.. GlobalArgs, .. args], stdinFile, env: Environment);

    public RunResult RunTimed(TimeSpan timeout, params string[] args) => Testing.Run.Tool(RepoPaths.BerthBinary, [.. GlobalArgs, .. args], timeout: timeout, env: Environment);

    /// <summary>Runs and asserts exit 0, returning stdout.</summary>
    public string Ok(params string[] args)
    {
        var r = Run(args);
        Xunit.Assert.True(r.ExitCode == 0, $"berth {string.Join(' ', args)} failed:\n{r}");
        return r.Stdout;
    }

    /// <summary>Asserts that <paramref name="reference"/> names no image in this store, as docker answers
    /// <c>image inspect</c>: exit 1 and "No such image".</summary>
    public void AssertNoImage(string reference) => Run("image", "inspect", reference).AssertExit(1, $"No such image: {reference}");

    /// <summary>Waits until the container's log holds <paramref name="marker"/> (as a line): a container prints it once
    /// it is ready (a <c>trap</c> set, a server listening), and the test acts only then.</summary>
    public void WaitForLog(string container, string marker, TimeSpan? timeout = null)
    {
        RunResult? last = null;
        var seen = Wait.Until(() =>
        {
            last = Run("logs", container);
            return last.Stdout.Split('\n').Contains(marker) || last.Stderr.Split('\n').Contains(marker);
        }, timeout, TimeSpan.FromMilliseconds(50));
        Xunit.Assert.True(seen, $"no \"{marker}\" in the log of {container}; the last `logs`:\n{last}");
    }

    /// <summary>Starts <c>berth daemon</c> on this installation (its root and state directory), listening on a socket of
    /// its own, and returns once it answers; dispose stops it with SIGTERM and asserts it exited cleanly.</summary>
    public BerthDaemon StartDaemon(params string[] extraArgs) => new(this, extraArgs);

    /// <summary>The cgroup directories of this installation, in every hierarchy.</summary>
    public IEnumerable<string> CgroupParentDirs =>
        Directory.Exists("/sys/fs/cgroup")
            ? Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(h => h + CgroupParent).Where(Directory.Exists)
            : [];

    /// <summary>Cgroups still under this installation's parent (a container or build step that was not cleaned up).</summary>
    public IReadOnlyList<string> LeftoverCgroups() => CgroupParentDirs.SelectMany(Directory.EnumerateDirectories).ToList();

    public void Dispose()
    {
        foreach (var dir in CgroupParentDirs)
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                // Still in use: LeftoverCgroups reports it to the test that owns it.
            }
        }
    }
}

/// <summary>A running <c>berth daemon</c> of one <see cref="Berth"/> installation, on <see cref="Socket"/>; its log
/// (stdout and stderr) is kept in <see cref="Log"/> for assertion messages.</summary>
public sealed class BerthDaemon : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    /// <param name="netns">A named network namespace (<c>/run/netns/NAME</c>) to run the daemon in, entered with
    /// nsenter; the socket is still the file system's, so clients outside it connect as usual.</param>
    public BerthDaemon(Berth berth, IReadOnlyList<string> extraArgs, string? netns = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        Socket = Path.Combine(berth.StateDir, "api.sock");
        var psi = new ProcessStartInfo(netns is null ? RepoPaths.BerthBinary : "nsenter")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        string[] prefix = netns is null ? [] : [$"--net=/run/netns/{netns}", RepoPaths.BerthBinary];
        foreach (var a in (string[])[.. prefix, "daemon", "--root", berth.Root, "--state-dir", berth.StateDir, "-H", "unix://" + Socket, "--log-level", "debug", .. extraArgs])
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in berth.Environment) psi.Environment[k] = v;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var ready = Wait.Until(() => _process.HasExited || Answers(), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        if (!ready || _process.HasExited)
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            Xunit.Assert.Fail($"berth daemon did not come up on {Socket}:\n{Log}");
        }
    }

    public string Socket { get; }
    public string Host => "unix://" + Socket;
    public int Pid => _process.Id;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The environment that points docker clients (the CLI, docker-py, compose) at this daemon.</summary>
    public IDictionary<string, string> ClientEnvironment => new Dictionary<string, string> { ["DOCKER_HOST"] = Host, ["DOCKER_BUILDKIT"] = "0" };

    /// <summary>Runs the docker CLI against this daemon.</summary>
    public RunResult Docker(params string[] args) => Testing.Run.Tool("/usr/local/bin/docker", args, env: ClientEnvironment);

    public RunResult Docker(TimeSpan timeout, params string[] args) => Testing.Run.Tool("/usr/local/bin/docker", args, timeout: timeout, env: ClientEnvironment);

    /// <summary>Runs the docker CLI with <paramref name="stdinFile"/> as its stdin (a file: at its end the CLI half-closes
    /// the connection, as with <c>echo hi | docker …</c>).</summary>
    public RunResult DockerWithStdin(string stdinFile, params string[] args) =>
        Testing.Run.Tool("/usr/local/bin/docker", args, stdinFile, TimeSpan.FromSeconds(60), env: ClientEnvironment);

    /// <summary>Runs docker and asserts exit 0, returning stdout.</summary>
    public string DockerOk(params string[] args)
    {
        var r = Docker(args);
        Xunit.Assert.True(r.ExitCode == 0, $"docker {string.Join(' ', args)} failed:\n{r}\n--- daemon log (tail)\n{Tail(Log, 40)}");
        return r.Stdout;
    }

    /// <summary>An HTTP client speaking to the daemon's socket (base address http://berth/).</summary>
    public HttpClient Http(TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Socket), ct);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            },
            MaxConnectionsPerServer = int.MaxValue,
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://berth/"), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
    }

    private bool Answers()
    {
        if (!File.Exists(Socket)) return false;
        try
        {
            using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            s.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(Socket));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    /// <summary>SIGTERM, as systemd stops a service; returns the exit code (0 for a clean stop).</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (_process.HasExited) return _process.ExitCode;
        Testing.Run.Tool("/bin/kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
            Xunit.Assert.Fail($"berth daemon did not stop on SIGTERM:\n{Tail(Log, 40)}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        var code = Stop();
        _process.Dispose();
        Xunit.Assert.True(code == 0, $"berth daemon exited {code} on SIGTERM:\n{Tail(Log, 40)}");
    }
}
