using System.Text.Json;
using Berth.Engine;
using Berth.Api.Dto;
using Berth.Api.Streams;
using Berth.Engine.Containers;
using Berth.Engine.Events;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Routes;

/// <summary><c>/containers/…</c>: dockerd's container endpoints over the engine's <see cref="ContainerService"/>.</summary>
internal static class ContainerRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/containers");
        Engine(g.MapGet("/json", List));
        Engine(g.MapPost("/create", Create));
        Engine(g.MapPost("/prune", Prune));
        Engine(g.MapGet("/{id}/json", Inspect));
        Engine(g.MapPost("/{id}/start", Start));
        Engine(g.MapPost("/{id}/stop", Stop));
        Engine(g.MapPost("/{id}/restart", Restart));
        Engine(g.MapPost("/{id}/kill", Kill));
        Engine(g.MapDelete("/{id}", Remove));
        Engine(g.MapGet("/{id}/top", Top));
        Engine(g.MapGet("/{id}/changes", Changes));
        Engine(g.MapPost("/{id}/rename", Rename));
        Engine(g.MapPost("/{id}/pause", Pause));
        Engine(g.MapPost("/{id}/unpause", Unpause));
        Engine(g.MapPost("/{id}/resize", Resize));
        Engine(g.MapPost("/{id}/update", Update));
        // Streams that last as long as a container does: not counted against the engine's concurrency bound.
        g.MapPost("/{id}/wait", Wait);
        g.MapGet("/{id}/logs", Logs);
        g.MapGet("/{id}/export", Export);
        g.MapGet("/{id}/stats", Stats);
    }

    private static void Engine(IEndpointConventionBuilder b) => b.RequireRateLimiting(ApiServer.EnginePolicy);

    private static ContainerService Service(HttpContext ctx) => ctx.Engine().Containers;

    private static string Id(HttpContext ctx) => (string)ctx.Request.RouteValues["id"]!;

    private static Storage.Metadata.ContainerRow Resolve(HttpContext ctx) => Service(ctx).Resolve(Id(ctx));

    private static async Task List(HttpContext ctx)
    {
        var service = Service(ctx);
        var filters = ctx.Filters();
        foreach (var key in filters.Keys)
            if (!ContainerListQuery.FilterKeys.Contains(key)) throw BerthException.Invalid($"invalid filter '{key}'");
        var limit = ctx.QueryInt("limit");
        var rows = service.List(new ContainerListQuery { All = ctx.QueryBool("all"), Limit = limit is > 0 ? limit : null, Filters = filters });
        var now = DateTimeOffset.UtcNow;
        var size = ctx.QueryBool("size");
        await ctx.WriteJsonAsync(rows.Select(r => Summaries.Container(service, r, now, size)).ToList(), ApiJsonContext.Default.ListContainerSummary);
    }

    private static async Task Create(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.ContainerCreateBody, null!)
            ?? throw BerthException.Invalid("config cannot be empty in order to create a container");
        var request = ContainerRequests.From(body, ctx.Query("name"), ctx.Version());
        var warnings = ContainerService.HostWarnings(request);
        var row = Service(ctx).Create(request, ctx.RequestAborted);
        await ctx.WriteJsonAsync(new IdResponse(row.Id, warnings), ApiJsonContext.Default.IdResponse, StatusCodes.Status201Created);
    }

    private static async Task Inspect(HttpContext ctx)
    {
        var service = Service(ctx);
        var inspect = service.Inspect(Resolve(ctx));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(inspect, ContainerJsonContext.Compact.ContainerInspect);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ctx.RequestAborted);
    }

    /// <summary>204, or 304 when the container is running already (dockerd).</summary>
    private static Task Start(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        if (row.Status == "running")
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        if (!AttachRoutes.StartForPendingAttaches(ctx, row))
        {
            service.StartDetached(row, ctx.RequestAborted);
            AttachRoutes.ConnectLatePendingAttaches(ctx, row);
        }
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static int? Signal(HttpContext ctx) => ctx.Query("signal") is { Length: > 0 } s ? Signals.Parse(s) : null;

    /// <summary>204, or 304 when the container was not running.</summary>
    private static Task Stop(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        var signal = Signal(ctx);
        if (row.Status != "running")
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        service.Stop(row, ctx.QueryInt("t"), ctx.RequestAborted, signal);
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static Task Restart(HttpContext ctx)
    {
        Service(ctx).Restart(Resolve(ctx), ctx.QueryInt("t"), ctx.RequestAborted, Signal(ctx));
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static Task Kill(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        var signal = Signal(ctx) ?? 9;
        service.Kill(row, signal);
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static Task Remove(HttpContext ctx)
    {
        Service(ctx).Remove(Resolve(ctx), ctx.QueryBool("force"), ctx.QueryBool("v"), ctx.RequestAborted);
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static async Task Top(HttpContext ctx)
    {
        var args = (ctx.Query("ps_args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var row = Resolve(ctx);
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        var top = Service(ctx).Top(row, args);
        await ctx.WriteJsonAsync(new TopResponse(top.Titles, top.Processes), ApiJsonContext.Default.TopResponse);
    }

    private static async Task Changes(HttpContext ctx)
    {
        var changes = Service(ctx).Changes(Resolve(ctx));
        await ctx.WriteJsonAsync(changes.Select(c => new ChangeItem(c.Path, (int)c.Kind)).ToList(), ApiJsonContext.Default.ListChangeItem);
    }

    private static Task Rename(HttpContext ctx)
    {
        var name = ctx.Query("name");
        if (string.IsNullOrEmpty(name)) throw BerthException.Invalid("Neither old nor new names may be empty");
        Service(ctx).Rename(Resolve(ctx), name);
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static Task Pause(HttpContext ctx)
    {
        Service(ctx).Pause(Resolve(ctx));
        ctx.NoContent();
        return Task.CompletedTask;
    }

    private static Task Unpause(HttpContext ctx)
    {
        Service(ctx).Unpause(Resolve(ctx));
        ctx.NoContent();
        return Task.CompletedTask;
    }

    /// <summary>A TTY's size follows its attached client; 409 when the container is not running, as dockerd.</summary>
    private static Task Resize(HttpContext ctx)
    {
        var row = Resolve(ctx);
        var size = AttachRoutes.SizeOf(ctx);
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        foreach (var session in ctx.RequestServices.GetRequiredService<Sessions>().AttachedTo(row.Id)) session.Resize(size);
        ctx.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static async Task Prune(HttpContext ctx)
    {
        var filters = ctx.Filters();
        foreach (var key in filters.Keys) throw BerthException.Invalid($"invalid filter '{key}': berth prunes every stopped container");
        var (removed, reclaimed) = Service(ctx).Prune(ctx.RequestAborted);
        await ctx.WriteJsonAsync(new ContainersPruneResponse(removed.Count == 0 ? null : removed, reclaimed), ApiJsonContext.Default.ContainersPruneResponse);
    }

    /// <summary><c>POST /containers/{id}/wait</c>: headers at once, the body when <c>condition</c> is met:
    /// not-running (the default: now, if it is not running), next-exit (the next exit from now), removed. Read from
    /// the event log (die, destroy), which every berth process on the store writes: a container run by the CLI is
    /// waited for as well as one started here.</summary>
    private static async Task Wait(HttpContext ctx)
    {
        var condition = ctx.Query("condition") is { Length: > 0 } c ? c : "not-running";
        if (condition is not ("not-running" or "next-exit" or "removed"))
            throw BerthException.Invalid($"invalid condition: \"{condition}\"");
        var service = Service(ctx);
        var since = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var row = Resolve(ctx);
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ct);
        await ctx.Response.Body.FlushAsync(ct);
        int? code = null;
        try
        {
            var events = service.Events.ReadAsync(since, null, new EventFilter(new Dictionary<string, IReadOnlyList<string>>
            {
                ["type"] = ["container"], ["container"] = [row.Id], ["event"] = ["die", "destroy"],
            }), follow: true, ct);
            // State now, after the log is being followed from before it was read: nothing falls in between.
            var now = service.TryResolve(row.Id, out var current) ? current : null;
            if (condition == "not-running" && now is { Status: not "running" }) code = now.ExitCode;
            else if (condition == "removed" && now is null) code = row.ExitCode;
            else
            {
                int last = now?.ExitCode ?? row.ExitCode;
                await foreach (var e in events)
                {
                    if (e.Action == "die")
                    {
                        last = int.TryParse(e.Actor.Attributes.GetValueOrDefault("exitCode"), out var x) ? x : last;
                        if (condition != "removed") { code = last; break; }
                    }
                    else if (e.Action == "destroy")
                    {
                        code = last;
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client hung up (run -d always does) or the daemon is stopping.
            return;
        }
        if (code is null) return;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new WaitResponse(null, code.Value), ApiJsonContext.Default.WaitResponse);
        await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ct);
    }

    /// <summary><c>GET /containers/{id}/logs</c>: multiplexed frames without a TTY, raw with one; no Content-Type
    /// (as dockerd); with follow, until the container stops or the client goes.</summary>
    private static async Task Logs(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        bool stdout = ctx.QueryBool("stdout"), stderr = ctx.QueryBool("stderr");
        if (!stdout && !stderr) throw BerthException.Invalid("Bad parameters: you must choose at least one stream");
        var tail = ctx.Query("tail");
        int? tailN = tail is null or "" or "all" ? null
            : int.TryParse(tail, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t < 0 ? null : t
            : throw BerthException.Invalid($"invalid value for tail: {tail}");
        var now = DateTimeOffset.UtcNow;
        var options = new LogOptions
        {
            Follow = ctx.QueryBool("follow"),
            Tail = tailN,
            Since = ctx.Query("since") is { Length: > 0 } s && s != "0" ? DockerTime.Parse(s, now) : null,
            Until = ctx.Query("until") is { Length: > 0 } u && u != "0" ? DockerTime.Parse(u, now) : null,
        };
        var tty = ContainerService.ConfigOf(row).Request.Tty;
        var ct = ctx.StreamToken();
        var sink = new LogStreamSink(ctx.Response.Body, tty, stdout, stderr, ctx.QueryBool("timestamps"));
        // Opened before the answer: docker-py's run(remove=True) removes the container before it reads this stream.
        using var log = service.OpenLog(row, options);
        await ctx.Response.StartAsync(ct);
        try
        {
            await HttpExtensions.RunLongAsync(() => log.Read(sink, ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task Export(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/x-tar";
        await ctx.Response.StartAsync(ct);
        await HttpExtensions.RunLongAsync(() => service.Export(row, ctx.Response.Body, ct));
    }

    /// <summary><c>POST /containers/{id}/update</c>: the engine's update (the CLI's <c>update</c>); zero leaves a value
    /// as it is, as dockerd; what berth cannot set is refused by name, what the host cannot is a warning.</summary>
    private static async Task Update(HttpContext ctx)
    {
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.ContainerUpdateBody, new ContainerUpdateBody());
        if (body.KernelMemory != 0) throw BerthException.Invalid("Kernel memory limit is not supported");
        if (body.CpuShares < 0) throw BerthException.Invalid($"invalid CPU shares ({body.CpuShares}): value must be a positive integer");
        var restart = body.RestartPolicy is { Name: { Length: > 0 } policy }
            ? RestartPolicy.Parse(policy == "on-failure" && body.RestartPolicy.MaximumRetryCount > 0
                ? $"{policy}:{body.RestartPolicy.MaximumRetryCount.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : policy)
            : null;
        var warnings = Service(ctx).Update(Resolve(ctx), new ContainerUpdate
        {
            BlkioWeight = body.BlkioWeight == 0 ? null : body.BlkioWeight,
            Memory = NonZero(body.Memory),
            MemorySwap = NonZero(body.MemorySwap),
            MemoryReservation = NonZero(body.MemoryReservation),
            NanoCpus = NonZero(body.NanoCpus),
            CpuShares = body.CpuShares > 0 ? (ulong)body.CpuShares : null,
            CpuPeriod = body.CpuPeriod > 0 ? (ulong)body.CpuPeriod : null,
            CpuQuota = NonZero(body.CpuQuota),
            CpusetCpus = string.IsNullOrEmpty(body.CpusetCpus) ? null : body.CpusetCpus,
            CpusetMems = string.IsNullOrEmpty(body.CpusetMems) ? null : body.CpusetMems,
            PidsLimit = body.PidsLimit,
            Restart = restart,
        });
        await ctx.WriteJsonAsync(new ContainerUpdateResponse([.. warnings]), ApiJsonContext.Default.ContainerUpdateResponse);
    }

    private static long? NonZero(long value) => value == 0 ? null : value;

    /// <summary><c>GET /containers/{id}/stats</c>: a reading a second, each with the one before as
    /// <c>precpu_stats</c> (the first has an empty one, as dockerd's), until the client goes or the container stops;
    /// <c>stream=false</c> answers the second reading (so the client can compute CPU %), <c>one-shot=true</c> with
    /// <c>stream=false</c> the first at once.</summary>
    private static async Task Stats(HttpContext ctx)
    {
        var service = Service(ctx);
        var row = Resolve(ctx);
        var stream = ctx.Query("stream") is not { Length: > 0 } st || ctx.QueryBool("stream");
        var oneShot = ctx.QueryBool("one-shot");
        if (oneShot && stream) throw BerthException.Invalid("cannot have stream=true and one-shot=true");
        var ct = ctx.StreamToken();
        ctx.Response.ContentType = "application/json";
        ContainerStatsSample? previous = null;
        try
        {
            while (true)
            {
                // Removed meanwhile: nothing more to read.
                if (!service.TryResolve(row.Id, out var current)) return;
                var sample = service.Sample(current!);
                if (stream || oneShot || previous is not null)
                {
                    var bytes = JsonSerializer.SerializeToUtf8Bytes(StatsOf(row, sample, previous), ApiJsonContext.Default.StatsResponse);
                    await ctx.Response.Body.WriteAsync(HttpExtensions.WithNewline(bytes), ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    if (!stream) return;
                    // A container that is not running has nothing more to report (dockerd ends the stream too).
                    if (sample.Cgroup is null) return;
                }
                previous = sample;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client hung up, or the daemon is stopping.
        }
    }

    /// <summary>dockerd's blkio_stats: on cgroup v1 every list (bytes and operations from the throttle counters, the
    /// CFQ-only ones empty), on v2 the bytes alone; nothing for a container that is not running.</summary>
    private static BlkioStats BlkioOf(Berth.Runtime.Cgroups.CgroupStats? cgroup)
    {
        static List<BlkioEntry>? Entries(IReadOnlyList<Berth.Runtime.Cgroups.BlkioStatEntry>? list) =>
            list?.Select(e => new BlkioEntry(e.Major, e.Minor, e.Op, e.Value)).ToList();
        if (cgroup is null) return new BlkioStats();
        if (cgroup.Version != "v1") return new BlkioStats { IoServiceBytesRecursive = Entries(cgroup.IoServiceBytes) };
        return new BlkioStats
        {
            IoServiceBytesRecursive = Entries(cgroup.IoServiceBytes), IoServicedRecursive = Entries(cgroup.IoServiced) ?? [],
            IoQueueRecursive = [], IoServiceTimeRecursive = [], IoWaitTimeRecursive = [], IoMergedRecursive = [], IoTimeRecursive = [], SectorsRecursive = [],
        };
    }

    private static StatsResponse StatsOf(Storage.Metadata.ContainerRow row, ContainerStatsSample now, ContainerStatsSample? before)
    {
        static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";
        static CpuStats Cpu(ContainerStatsSample? s) => s?.Cgroup is { } c
            ? new CpuStats { CpuUsage = new CpuUsage { TotalUsage = c.CpuNanoseconds }, SystemUsage = s.SystemCpuNanoseconds, OnlineCpus = (uint)s.OnlineCpus }
            : new CpuStats { CpuUsage = new CpuUsage() };
        var cgroup = now.Cgroup;
        return new StatsResponse
        {
            Name = "/" + row.Name.TrimStart('/'),
            Id = row.Id,
            Read = cgroup is null ? Time(null) : Time(now.Read),
            PreRead = before?.Cgroup is null ? Time(null) : Time(before.Read),
            PidsStats = new PidsStats { Current = cgroup?.Pids ?? 0 },
            BlkioStats = BlkioOf(cgroup),
            CpuStats = Cpu(cgroup is null ? null : now),
            PreCpuStats = Cpu(before),
            MemoryStats = cgroup is null ? new MemoryStats() : new MemoryStats
            {
                // The usage with the inactive file pages, which the client subtracts again (docker/cli calculateMemUsageUnixNoCache).
                Usage = cgroup.MemoryUsage + cgroup.InactiveFile,
                Stats = new Dictionary<string, ulong> { [cgroup.Version == "v1" ? "total_inactive_file" : "inactive_file"] = cgroup.InactiveFile },
                Limit = now.MemoryLimit,
            },
            Networks = cgroup is null ? null : now.Networks.ToDictionary(n => n.Key, n => new NetworkStats
            {
                RxBytes = n.Value.RxBytes, RxPackets = n.Value.RxPackets, RxErrors = n.Value.RxErrors, RxDropped = n.Value.RxDropped,
                TxBytes = n.Value.TxBytes, TxPackets = n.Value.TxPackets, TxErrors = n.Value.TxErrors, TxDropped = n.Value.TxDropped,
            }),
        };
    }
}
