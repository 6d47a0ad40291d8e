using System.Globalization;
using System.Text.Json;
using Berth.Api.Dto;
using Berth.Api.Streams;
using Berth.Engine.Containers;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Routes;

/// <summary>Attach and exec: <c>POST /containers/{id}/attach</c>, <c>POST /containers/{id}/exec</c>,
/// <c>POST /exec/{id}/start</c>, <c>GET /exec/{id}/json</c>, <c>POST /exec/{id}/resize</c>, over the engine's
/// stream-taking <see cref="ContainerService.AttachAsync"/> and <see cref="ContainerService.ExecAsync"/>.</summary>
internal static class AttachRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/containers/{id}/attach", Attach);
        app.MapPost("/containers/{id}/exec", ExecCreate).RequireRateLimiting(ApiServer.EnginePolicy);
        app.MapPost("/exec/{id}/start", ExecStart);
        app.MapGet("/exec/{id}/json", ExecInspect);
        app.MapPost("/exec/{id}/resize", ExecResize);
    }

    private static Sessions Sessions(HttpContext ctx) => ctx.RequestServices.GetRequiredService<Sessions>();

    private static string Id(HttpContext ctx) => (string)ctx.Request.RouteValues["id"]!;

    private static DetachKeys Keys(string? spec, string what) => string.IsNullOrEmpty(spec) ? DetachKeys.Default : DetachKeys.Parse(spec, what);

    /// <summary>Attaches to a running container, or, before its start (created, or exited: <c>docker start -a</c>
    /// attaches first), waits for the next start to attach it (<see cref="ContainerRoutes"/>' start completes it), so
    /// the first output is not lost. A paused container is a conflict, as dockerd's.</summary>
    private static async Task Attach(HttpContext ctx)
    {
        var service = ctx.Engine().Containers;
        var row = service.Resolve(Id(ctx));
        var config = ContainerService.ConfigOf(row);
        var tty = config.Request.Tty;
        var keys = Keys(ctx.Query("detachKeys"), "detach");
        if (!ctx.QueryBool("stream") && !ctx.QueryBool("logs")) throw BerthException.Invalid("Bad parameters: must specify at least one of stream or logs");
        if (ctx.QueryBool("stream") && service.IsPaused(row))
            throw BerthException.Conflict($"container {row.Name} is paused, unpause the container before attach");
        var ct = ctx.StoppingToken();
        service.RecordAttach(row);
        // The attach to a container not running waits for its start, registered before the client has the answer:
        // docker run starts the container as soon as it has it, and a start that came before the registration lost
        // the first output (all of it, for a short-lived container).
        var pending = ctx.QueryBool("stream") && row.Status != "running" ? Sessions(ctx).AddPending(row.Id) : null;
        try
        {
            // Opened before the answer, as the logs route does: what the container wrote so far comes first.
            using var log = ctx.QueryBool("logs") && config.Request.LogConfig.Type == LogConfig.JsonFile ? service.OpenLog(row, new LogOptions()) : null;
            await using var hijack = await Hijack.AcceptAsync(ctx, tty);
            var streams = hijack.Streams(tty, ctx.QueryBool("stdin"), ctx.QueryBool("stdout"), ctx.QueryBool("stderr"), null, keys);
            if (log is not null)
            {
                var sink = hijack.LogSink(tty, ctx.QueryBool("stdout"), ctx.QueryBool("stderr"));
                await HttpExtensions.RunLongAsync(() => log.Read(sink, ct));
            }
            if (!ctx.QueryBool("stream")) return;
            pending?.Streams.TrySetResult(streams);
            StdioSession session;
            if (pending is null)
            {
                if (!service.TryResolve(row.Id, out var now) || now!.Status != "running") return;
                session = await service.AttachAsync(now, streams, ct);
            }
            else
            {
                // A start between the first look above and AddPending did not see this attach: it is connected here
                // then (or by the start's second look, ConnectLatePendingAttaches, whichever claims it).
                if (service.Recorded(row.Id) is { } started && started.StartedAt != row.StartedAt && pending.TryClaim())
                    pending.Session.TrySetResult(await service.AttachAsync(started, streams, ct));
                await using (ct.Register(() => pending.Session.TrySetCanceled()))
                    session = await pending.Session.Task;
            }
            Sessions(ctx).AddAttached(row.Id, session);
            await session.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // The client left or the daemon stops; the container runs on.
        }
        catch (BerthException)
        {
            // The container stopped before the attach could connect: the connection closes, as dockerd's.
        }
        finally
        {
            // A start that takes this attach after it ended (the client left) finds no streams and drops it.
            pending?.Streams.TrySetCanceled();
        }
    }

    /// <summary>Starts a container for the attaches waiting for it (see <see cref="Attach"/>); false when there
    /// are none (a plain start).</summary>
    internal static bool StartForPendingAttaches(HttpContext ctx, Storage.Metadata.ContainerRow row)
    {
        var pending = Sessions(ctx).TakePending(row.Id);
        if (pending.Count == 0) return false;
        var service = ctx.Engine().Containers;
        try
        {
            service.StartDetachedForAttach(row, ctx.RequestAborted);
        }
        catch (Exception e)
        {
            foreach (var p in pending) p.Session.TrySetException(e);
            throw;
        }
        ConnectPending(service, service.Recorded(row.Id) ?? throw BerthException.NotFound($"No such container: {row.Id}"), pending);
        return true;
    }

    /// <summary>After a plain start: the attaches that came in while it started (see <see cref="Attach"/>).</summary>
    internal static void ConnectLatePendingAttaches(HttpContext ctx, Storage.Metadata.ContainerRow row)
    {
        var pending = Sessions(ctx).TakePending(row.Id);
        if (pending.Count == 0) return;
        var service = ctx.Engine().Containers;
        ConnectPending(service, service.Recorded(row.Id) ?? throw BerthException.NotFound($"No such container: {row.Id}"), pending);
    }

    private static void ConnectPending(ContainerService service, Storage.Metadata.ContainerRow running, IReadOnlyList<Sessions.PendingAttach> pending)
    {
        foreach (var p in pending)
        {
            // Connected in the background: the start answers at once, as dockerd's, while the attaches connect.
            _ = Task.Run(async () =>
            {
                try
                {
                    p.Session.TrySetResult(await service.AttachAsync(running, await p.Streams.Task, CancellationToken.None));
                }
                catch (Exception e)
                {
                    p.Session.TrySetException(e);
                }
            });
        }
    }

    private static async Task ExecCreate(HttpContext ctx)
    {
        var service = ctx.Engine().Containers;
        var row = service.Resolve(Id(ctx));
        var body = await ctx.ReadJsonAsync(ApiJsonContext.Default.ExecCreateBody, null!) ?? throw BerthException.Invalid("exec config cannot be empty");
        if (body.Cmd is not { Count: > 0 }) throw BerthException.Invalid("No exec command specified");
        // dockerd refuses at create what could never start (daemon/exec.go getActiveContainer).
        if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
        if (service.IsPaused(row)) throw BerthException.Conflict($"Container {Id(ctx)} is paused, unpause the container before exec");
        if (!string.IsNullOrEmpty(body.DetachKeys)) Keys(body.DetachKeys, "escape");
        var exec = Sessions(ctx).AddExec(new ExecInstance
        {
            Id = Berth.Interop.KernelRandom.Hex(32),
            ContainerId = row.Id,
            Request = new ExecRequest
            {
                Command = body.Cmd, Env = body.Env ?? [], User = body.User, WorkingDir = body.WorkingDir, Tty = body.Tty,
                Interactive = body.AttachStdin, Privileged = body.Privileged,
            },
            AttachStdin = body.AttachStdin, AttachStdout = body.AttachStdout, AttachStderr = body.AttachStderr, DetachKeys = body.DetachKeys ?? "",
        });
        await ctx.WriteJsonAsync(new ExecIdResponse(exec.Id), ApiJsonContext.Default.ExecIdResponse, StatusCodes.Status201Created);
    }

    /// <summary>Runs the exec: detached (200, no stream), or relayed over the hijacked connection until the command
    /// exits. Its exit code is recorded before the connection closes: the CLI reads it right after.</summary>
    private static async Task ExecStart(HttpContext ctx)
    {
        var exec = Sessions(ctx).GetExec(Id(ctx));
        // The body of an upgrading exec start comes in a header (see UpgradeBodyMiddleware).
        var body = ctx.Request.Headers[UpgradeBodyMiddleware.Header] is [{ Length: > 0 } moved]
            ? HttpExtensions.ParseBody(Convert.FromBase64String(moved), ApiJsonContext.Default.ExecStartBody) ?? new ExecStartBody()
            : await ctx.ReadJsonAsync(ApiJsonContext.Default.ExecStartBody, new ExecStartBody());
        var service = ctx.Engine().Containers;
        lock (exec)
        {
            if (exec.Started) throw BerthException.Conflict($"Exec {exec.Id} has already run");
            exec.Started = true;
        }
        var row = service.Resolve(exec.ContainerId);
        var request = exec.Request with { Detach = body.Detach };
        if (body.Detach)
        {
            exec.Running = true;
            var detached = await service.ExecAsync(row, request, new AttachStreams(), ctx.RequestAborted);
            exec.Session = detached;
            ctx.Response.StatusCode = StatusCodes.Status200OK;
            ctx.Response.ContentLength = 0;
            return;
        }
        var ct = ctx.StoppingToken();
        await using var hijack = await Hijack.AcceptAsync(ctx, request.Tty);
        var streams = hijack.Streams(request.Tty, exec.AttachStdin, exec.AttachStdout, exec.AttachStderr, null, Keys(exec.DetachKeys, "escape"));
        try
        {
            exec.Running = true;
            var session = await service.ExecAsync(row, request, streams, ct);
            exec.Session = session;
            var end = await session.WaitAsync(ct);
            exec.ExitCode = end.Detached ? null : end.ExitCode;
        }
        catch (Berth.Runtime.ContainerExecException e)
        {
            // The command does not exist (127) or cannot run (126): docker prints the message on the stream.
            exec.ExitCode = e.ExitCode;
            if (streams.Stdout is { } o) o.Write(System.Text.Encoding.UTF8.GetBytes(e.Message + "\n"));
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            exec.Running = false;
        }
    }

    private static async Task ExecInspect(HttpContext ctx)
    {
        var exec = Sessions(ctx).GetExec(Id(ctx));
        var doc = new System.Text.Json.Nodes.JsonObject
        {
            ["ID"] = exec.Id,
            ["Running"] = exec.Running,
            ["ExitCode"] = exec.ExitCode,
            ["ProcessConfig"] = new System.Text.Json.Nodes.JsonObject
            {
                ["tty"] = exec.Request.Tty, ["entrypoint"] = exec.Request.Command[0],
                ["arguments"] = new System.Text.Json.Nodes.JsonArray(exec.Request.Command.Skip(1).Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray()),
                ["privileged"] = exec.Request.Privileged, ["user"] = exec.Request.User ?? "",
            },
            ["OpenStdin"] = exec.AttachStdin,
            ["OpenStderr"] = exec.AttachStderr,
            ["OpenStdout"] = exec.AttachStdout,
            ["CanRemove"] = false,
            ["ContainerID"] = exec.ContainerId,
            ["DetachKeys"] = exec.DetachKeys,
            ["Pid"] = 0,
        };
        await ctx.WriteJsonAsync(doc, ApiJsonContext.Default.JsonObject);
    }

    private static Task ExecResize(HttpContext ctx)
    {
        var exec = Sessions(ctx).GetExec(Id(ctx));
        var size = SizeOf(ctx);
        if (!exec.Running) throw BerthException.Conflict($"Exec {exec.Id} is not running");
        exec.Session?.Resize(size);
        ctx.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    internal static TerminalSize SizeOf(HttpContext ctx)
    {
        var h = ctx.QueryInt("h") ?? 0;
        var w = ctx.QueryInt("w") ?? 0;
        if (h is < 0 or > ushort.MaxValue || w is < 0 or > ushort.MaxValue)
            throw BerthException.Invalid(string.Create(CultureInfo.InvariantCulture, $"invalid terminal size {h}x{w}"));
        return new TerminalSize((ushort)h, (ushort)w);
    }
}
