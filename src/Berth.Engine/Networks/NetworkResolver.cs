using System.Globalization;
using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using Berth.Network.Dns;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;

namespace Berth.Engine.Networks;

/// <summary>Name resolution for a user network, daemonless: <c>berth resolver ROOT NETWORK-ID</c>, one small process
/// per network that has running containers, answering DNS on the network's gateway address, port 53, UDP and TCP, in
/// berth's network namespace (as podman's aardvark-dns). Containers' resolv.conf name that address.
/// <para>Lifecycle. The first container start on the network (<see cref="EnsureRunning"/>, after its endpoint is
/// recorded and before its command runs) takes the network's start lock and looks at the resolver's lock: free means
/// none runs, and it spawns one and waits for its report line, which comes once both sockets are bound. So the name
/// of every container is resolvable from its first instruction: the sockets exist (the kernel queues queries) before
/// the container's process starts, and the records are read per query. The resolver holds its lock while it lives and
/// checks, whenever the store changed (at most every <see cref="IdleCheck"/>), whether its network still has
/// endpoints; when none is left it takes the start lock, checks again and exits, so a start racing the exit either
/// sees it alive with its endpoint counted, or sees the lock free and starts a new one.</para></summary>
public static class NetworkResolver
{
    public const string Role = "resolver";
    private const string Ok = "ok";
    private const string Serve = "serve";
    private static readonly TimeSpan IdleCheck = TimeSpan.FromMilliseconds(250);

    private static string LockPath(EngineOptions options, string networkId) => Path.Combine(options.ResolverDir, networkId + ".lock");
    private static string StartLockPath(EngineOptions options, string networkId) => Path.Combine(options.ResolverDir, networkId + ".start");
    private static string PidPath(EngineOptions options, string networkId) => Path.Combine(options.ResolverDir, networkId + ".pid");

    /// <summary>The network's resolver, started unless it runs; returns once it answers. docker's default bridge has
    /// none (no name resolution there).</summary>
    public static void EnsureRunning(EngineOptions options, NetworkRow network)
    {
        if (network.Name == NetworkService.DefaultNetwork) return;
        Directory.CreateDirectory(options.ResolverDir);
        using var start = FileLock.Acquire(StartLockPath(options, network.Id), exclusive: true, CancellationToken.None);
        using (var probe = FileLock.TryAcquire(LockPath(options, network.Id), exclusive: true))
            if (probe is null) return;
        var berth = options.Executable ?? Environment.ProcessPath ?? throw new BerthException(ErrorKind.Internal, "cannot find the berth executable");
        using var report = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        int pid;
        try
        {
            pid = Berth.Runtime.Process.ProcessLauncher.Spawn(berth, ["berth", Role, options.Root, network.Id],
                new ContainerStdio { Stdin = devNull, Stdout = report.ClientSafePipeHandle, Stderr = devNull },
                ["DOTNET_GCgen0size=10000", .. options.ToEnvironment()]);
        }
        catch (Berth.Interop.SyscallException e)
        {
            throw new BerthException(ErrorKind.Internal, $"cannot start the resolver of network {network.Name}: {e.Message}", e);
        }
        report.DisposeLocalCopyOfClientHandle();
        // The child only starts the resolver and exits: the resolver is nobody's child (init's), so a long-lived
        // starter (a container's monitor) is not left with a zombie when it exits.
        Berth.Runtime.Process.ProcessLauncher.Wait(pid);
        string? line;
        using (var reader = new StreamReader(report)) line = reader.ReadLine();
        if (line == Ok) return;
        throw new BerthException(ErrorKind.Internal, $"the resolver of network {network.Name} did not start: {line?.Split('\t', 2)[^1] ?? "it exited"}");
    }

    /// <summary><c>berth resolver ROOT ID</c> spawns <c>berth resolver ROOT ID serve</c> with its own stdout (the
    /// starter's report pipe) and exits; the second binds, reports on that pipe and serves until its network has no
    /// endpoint left.</summary>
    public static int Run(string[] args)
    {
        if (args is [_, var r, var n])
        {
            try
            {
                using var inherited = new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false);
                using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
                Berth.Runtime.Process.ProcessLauncher.Spawn(Environment.ProcessPath ?? "/proc/self/exe", ["berth", Role, r, n, Serve],
                    new ContainerStdio { Stdin = devNull, Stdout = inherited, Stderr = devNull },
                    ["DOTNET_GCgen0size=10000", .. Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("BERTH_", StringComparison.Ordinal))
                        .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}")]);
                return 0;
            }
            catch (Berth.Interop.SyscallException e)
            {
                Console.Out.WriteLine($"error\t{e.Message}");
                return 1;
            }
        }
        if (args is not [_, var root, var networkId, Serve])
        {
            Console.Error.WriteLine("berth resolver: internal role, started by berth itself");
            return 125;
        }
        // Its own session: the terminal's hangup or Ctrl-C of the command that started it must not reach it.
        Berth.Runtime.Process.ProcessSession.NewSession();
        var options = EngineOptions.FromEnvironment() with { Root = root };
        var output = Console.OpenStandardOutput();
        void Report(string line)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            output.Write(bytes);
            output.Flush();
        }

        using var held = FileLock.TryAcquire(LockPath(options, networkId), exclusive: true);
        if (held is null)
        {
            Report(Ok); // another one serves the network
            return 0;
        }
        using var store = Store.Open(root);
        if (store.Metadata.GetNetwork(networkId) is not { } network)
        {
            Report($"error\tnetwork {networkId} not found");
            return 1;
        }
        DnsServer server;
        try
        {
            server = new DnsServer(new IPEndPoint(IPAddress.Parse(network.Gateway), 53), new StoreDnsRecords(store, options.ResolvConfPath));
        }
        catch (SocketException e)
        {
            Report($"error\tlisten on {network.Gateway}:53: {e.Message}");
            return 1;
        }
        var pidPath = PidPath(options, networkId);
        File.WriteAllText(pidPath, string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {Berth.Runtime.Process.ProcessInfo.StartTime(Environment.ProcessId) ?? 0}\n"));
        Report(Ok);
        Berth.Runtime.Process.ProcessSession.StdioToDevNull();
        using (server)
        using (var stop = new CancellationTokenSource())
        {
            var serving = server.RunAsync(stop.Token);
            var seen = long.MinValue;
            while (!serving.IsCompleted)
            {
                serving.Wait(IdleCheck);
                var version = store.Metadata.DataVersion();
                if (version == seen) continue;
                seen = version;
                if (!Idle(store, networkId)) continue;
                using var start = FileLock.Acquire(StartLockPath(options, networkId), exclusive: true, CancellationToken.None);
                if (!Idle(store, networkId)) continue;
                // Its files go while both locks are held: a waiter on either opens the path afresh (FileLock).
                File.Delete(pidPath);
                held.DeleteFile();
                start.DeleteFile();
                stop.Cancel();
                break;
            }
        }
        return 0;
    }

    private static bool Idle(Store store, string networkId) =>
        store.Metadata.GetNetwork(networkId) is null || store.Metadata.EndpointsOfNetwork(networkId).Count == 0;

    /// <summary>For <c>system check</c>: a resolver still running for a network without endpoints (stopped or hung,
    /// since a live one exits by itself), and a PID file of one that is gone. <c>--repair</c> kills the first and
    /// removes the second.</summary>
    public static IEnumerable<Berth.Storage.Gc.Debris> FindDebris(Store store, EngineOptions options)
    {
        if (!Directory.Exists(options.ResolverDir)) yield break;
        foreach (var pidFile in Directory.EnumerateFiles(options.ResolverDir, "*.pid"))
        {
            var networkId = Path.GetFileNameWithoutExtension(pidFile);
            var fields = (File.Exists(pidFile) ? File.ReadAllText(pidFile) : "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var alive = fields.Length == 2 && int.TryParse(fields[0], CultureInfo.InvariantCulture, out var pid) && ulong.TryParse(fields[1], CultureInfo.InvariantCulture, out var start)
                        && Berth.Runtime.Process.ProcessInfo.IsAlive(pid, start);
            if (!alive)
            {
                if (!Idle(store, networkId) && store.Metadata.GetNetwork(networkId) is { } network)
                    yield return new Berth.Storage.Gc.Debris($"resolver of network {network.Name} is gone while containers run on it (their names do not resolve)", () =>
                    {
                        File.Delete(pidFile);
                        EnsureRunning(options, network);
                    });
                else
                    yield return new Berth.Storage.Gc.Debris($"resolver PID file of network {networkId}, whose resolver is gone", () => File.Delete(pidFile));
                continue;
            }
            if (!Idle(store, networkId)) continue;
            var victim = int.Parse(fields[0], CultureInfo.InvariantCulture);
            yield return new Berth.Storage.Gc.Debris($"resolver of network {networkId} (pid {victim}), which has no running container", () =>
            {
                try
                {
                    using var p = System.Diagnostics.Process.GetProcessById(victim);
                    p.Kill();
                    p.WaitForExit(5000);
                }
                catch (ArgumentException)
                {
                }
                File.Delete(pidFile);
            });
        }
    }
}
