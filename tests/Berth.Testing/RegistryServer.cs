using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Testing;

/// <summary>Debian's docker-registry (distribution 2.8) on 127.0.0.1 and a free port, its configuration and
/// storage in a temp directory: plain HTTP, or TLS with a given certificate, or htpasswd basic auth, or token auth.
/// Started ready (it accepts connections), killed on dispose. With <see cref="Options.NetworkNamespace"/> it listens
/// on that namespace's loopback instead, where a daemon of the same namespace pushes to it.</summary>
public sealed class RegistryServer : IDisposable
{
    public const string Binary = "/usr/bin/docker-registry";
    private readonly Process _process;
    private readonly TempDirectory _dir = new("berth-registry");

    public sealed record Options
    {
        public string? Htpasswd { get; init; }
        public (string Cert, string Key)? Tls { get; init; }
        public (string Realm, string Service, string Issuer, string RootCertBundle)? Token { get; init; }

        /// <summary>A named network namespace (<c>/run/netns/NAME</c>) to serve in, entered with nsenter.</summary>
        public string? NetworkNamespace { get; init; }

        /// <summary>The port to listen on (a free one when not given).</summary>
        public int? Port { get; init; }
    }

    public RegistryServer(Options? options = null)
    {
        HostCapabilities.Require(File.Exists(Binary), "needs docker-registry (apt-get install docker-registry)");
        options ??= new Options();
        Port = options.Port ?? FreePort();
        var config = $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {_dir.Combine("data")}
              delete:
                enabled: true
            validation:
              manifests:
                urls:
                  allow:
                    - ^https?://
            http:
              addr: 127.0.0.1:{Port}

            """;
        if (options.Tls is { } tls) config += $"  tls:\n    certificate: {tls.Cert}\n    key: {tls.Key}\n";
        if (options.Htpasswd is { } h)
        {
            File.WriteAllText(_dir.Combine("htpasswd"), h);
            config += $"auth:\n  htpasswd:\n    realm: berth-test\n    path: {_dir.Combine("htpasswd")}\n";
        }
        if (options.Token is { } t)
            config += $"auth:\n  token:\n    realm: {t.Realm}\n    service: {t.Service}\n    issuer: {t.Issuer}\n    rootcertbundle: {t.RootCertBundle}\n";
        File.WriteAllText(_dir.Combine("config.yml"), config);
        string[] command = [Binary, "serve", _dir.Combine("config.yml")];
        if (options.NetworkNamespace is { } netns) command = ["nsenter", $"--net=/run/netns/{netns}", .. command];
        var psi = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Ready when it accepts connections on its port.
        Wait.For(() =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"docker-registry exited {_process.ExitCode}: {string.Join('\n', Log)}");
            if (options.NetworkNamespace is { } ns)
                return Run.Tool("nsenter", [$"--net=/run/netns/{ns}", "socat", "-u", "/dev/null", $"TCP:127.0.0.1:{Port}"], timeout: TimeSpan.FromSeconds(10)).ExitCode == 0;
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, "docker-registry to listen", TimeSpan.FromSeconds(30));
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public List<string> Log { get; } = [];

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _dir.Dispose();
    }
}
