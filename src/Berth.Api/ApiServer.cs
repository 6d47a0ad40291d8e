using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Berth.Api.Routes;
using Berth.Engine;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Berth.Interop;

namespace Berth.Api;

/// <summary><c>berth daemon</c>: the Docker Engine API over HTTP/1.1 (Kestrel), served from one
/// <see cref="BerthEngine"/>, the same engine the CLI drives, so the two front ends cannot drift. Containers run
/// under their own monitors (as with the CLI): they keep running when the daemon stops, and a daemon started again
/// finds them in the store.</summary>
public sealed class ApiServer
{
    /// <summary>The rate-limiting policy of requests that work the engine and end soon.</summary>
    internal const string EnginePolicy = "engine";

    private readonly DaemonOptions _options;

    public ApiServer(DaemonOptions options) => _options = options;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        // Two malloc arenas (SQLite's and libc's allocations) for the daemon's many threads instead of up to 16 on
        // two cores, each kept once made: 3 MB less anonymous memory after concurrent requests (docs/benchmarks.md).
        Libc.mallopt(Libc.M_ARENA_MAX, 2);
        var listens = _options.ParseHosts();
        // The empty builder, with only what the daemon uses: Kestrel, routing, logging to stderr. The slim one also
        // reads appsettings*.json from the working directory, watching it, and every directory under it, for changes
        // (a recursive inotify watch of wherever the daemon was started, / under systemd), binds "Logging" and
        // "Kestrel" configuration sections nobody writes, and takes ASPNETCORE_* variables.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffK ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LevelOf(_options.LogLevel));
        // ASP.NET's per-request information logs are dockerd's debug logs.
        builder.Logging.AddFilter("Microsoft", _options.LogLevel == "debug" ? LogLevel.Information : LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            o.AddConcurrencyLimiter(EnginePolicy, c =>
            {
                c.PermitLimit = _options.MaxConcurrentRequests;
                c.QueueLimit = 100_000;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
        });
        var engine = new BerthEngine(_options.Engine);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(_options);
        builder.Services.AddSingleton(new Sessions());
        // A listen backlog as Go's (somaxconn): a burst of clients connecting at once waits instead of being refused.
        builder.WebHost.UseSockets(o => o.Backlog = 4096);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The engine's services are synchronous (they stream to and from Streams): they run on their own
            // threads and write the response as they go.
            k.AllowSynchronousIO = true;
            k.Limits.MaxRequestBodySize = _options.MaxJsonBody;
            k.Limits.MaxRequestHeadersTotalSize = 64 << 10;
            // A request whose headers do not come in time is dropped (dockerd: 5 minutes, ReadHeaderTimeout); the
            // connection middleware that holds heads until they are whole keeps this bound too.
            k.Limits.RequestHeadersTimeout = _options.RequestHeadersTimeout;
            // No minimum data rates, as dockerd: bodies are clients' pipes that may stall (cp -, load, build
            // contexts), and readers may pause (logs -f into a pager). A stream's memory stays bounded anyway: its
            // writer waits once Kestrel's response buffer (64 KiB) is full.
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            foreach (var l in listens)
            {
                switch (l.Scheme)
                {
                    case "unix":
                        PrepareSocketPath(l.Address);
                        k.ListenUnixSocket(l.Address, o => { o.Protocols = HttpProtocols.Http1; o.Use(Streams.UpgradeBodyMiddleware.Create(_options.RequestHeadersTimeout)); });
                        break;
                    case "tcp":
                        k.Listen(IPAddress.TryParse(l.Address, out var ip) ? ip : l.Address == "localhost" ? IPAddress.Loopback
                            : throw BerthException.Invalid($"invalid host tcp://{l.Address}:{l.Port}: not an IP address"), l.Port, o => { o.Protocols = HttpProtocols.Http1; o.Use(Streams.UpgradeBodyMiddleware.Create(_options.RequestHeadersTimeout)); });
                        break;
                    case "fd":
                        // systemd socket activation: the listening sockets start at fd 3 (sd_listen_fds(3)).
                        if (Environment.GetEnvironmentVariable("LISTEN_PID") != Environment.ProcessId.ToString(CultureInfo.InvariantCulture) ||
                            !int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                            throw BerthException.Invalid("fd://: no sockets were passed (LISTEN_FDS/LISTEN_PID not set for this process)");
                        for (var fd = 3; fd < 3 + n; fd++) k.ListenHandle((ulong)fd, o => { o.Protocols = HttpProtocols.Http1; o.Use(Streams.UpgradeBodyMiddleware.Create(_options.RequestHeadersTimeout)); });
                        break;
                }
            }
        });

        // Enough threads at once for the engine's blocking calls; the pool's slow growth would otherwise queue
        // requests behind a few long ones.
        ThreadPool.GetMinThreads(out var worker, out var io);
        ThreadPool.SetMinThreads(Math.Max(worker, _options.MaxConcurrentRequests * 2), io);

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("berth.daemon");
        foreach (var l in listens.Where(l => l.Scheme == "tcp"))
            log.LogWarning("API listening on tcp://{Address}:{Port} without TLS: anyone who can reach it is root on this machine", l.Address, l.Port);
        using var idle = new IdleMemory(engine.Time);
        app.Use(idle.InvokeAsync);
        app.Use(VersionMiddleware.InvokeAsync);
        app.UseRouting();
        app.UseRateLimiter();
        SystemRoutes.Map(app);
        ContainerRoutes.Map(app);
        ImageRoutes.Map(app);
        VolumeRoutes.Map(app);
        NetworkRoutes.Map(app);
        AttachRoutes.Map(app);
        ArchiveRoutes.Map(app);
        app.MapFallback(ctx => ErrorMapping.WriteAsync(ctx, StatusCodes.Status404NotFound, "page not found"));

        // The sockets are made root-only (umask), then opened to the group: never readable by others, not even for
        // the moment between bind and chmod.
        var oldMask = Libc.umask(0x7F); // 0177
        try
        {
            await app.StartAsync(ct);
        }
        finally
        {
            Libc.umask(oldMask);
        }
        foreach (var l in listens.Where(l => l.Scheme == "unix")) SecureSocket(l.Address, log);
        log.LogInformation("API listen on {Hosts}", string.Join(", ", listens.Select(l => l.Scheme == "unix" ? "unix://" + l.Address : $"{l.Scheme}://{l.Address}:{l.Port}")));
        log.LogInformation("Daemon has completed initialization (root {Root}, state {State})", _options.Engine.Root, _options.Engine.StateDir);
        // Start-up's garbage (configuration, the host's wiring) goes as soon as the daemon is quiet.
        idle.Touch();
        await app.WaitForShutdownAsync(ct);
        log.LogInformation("Daemon shutdown complete");
        await app.DisposeAsync();
        foreach (var l in listens.Where(l => l.Scheme == "unix"))
        {
            try { File.Delete(l.Address); } catch (IOException) { }
        }
        engine.Dispose();
        return 0;
    }

    internal static LogLevel LevelOf(string level) => level switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => throw BerthException.Invalid($"unable to parse logging level: {level}"),
    };

    /// <summary>A stale socket (a daemon that died) is removed; a live one means another daemon serves it.</summary>
    private static void PrepareSocketPath(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir)) EngineOptions.EnsurePrivateDirectory(dir);
        if (!File.Exists(path)) return;
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            throw BerthException.Conflict($"{path}: another daemon is listening on this socket");
        }
        catch (System.Net.Sockets.SocketException)
        {
            File.Delete(path);
        }
    }

    /// <summary>0660 and the socket group when that group exists (dockerd's <c>docker</c> group), else 0600.</summary>
    private void SecureSocket(string path, ILogger log)
    {
        if (GroupId(_options.SocketGroup) is { } gid)
        {
            if (Libc.chown(path, 0, gid) != 0)
                throw new SyscallException(Errno.Last, "chown", path);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            log.LogDebug("group {Group} not found: {Path} is root's only (0600)", _options.SocketGroup, path);
        }
    }

    /// <summary>A group's ID from /etc/group, or null.</summary>
    internal static int? GroupId(string name, string file = "/etc/group")
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(':');
            if (parts.Length >= 3 && parts[0] == name && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)) return gid;
        }
        return null;
    }
}
