using Berth.Engine.Containers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Api.Streams;

/// <summary>The connection of an attach or exec start, taken over from HTTP as dockerd does: <c>101</c> with
/// <c>Upgrade: tcp</c>, then a plain byte pipe — the client's stdin in (never framed; its half-close is the end of
/// input, not of the session), the output out (multiplexed without a TTY, raw with one); the server closes it when
/// the process ends. A client that did not ask to upgrade gets the output as the response body (no input).</summary>
internal sealed class Hijack : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Lock _gate = new();
    private Stream? _input;

    private Hijack(Stream stream, bool upgraded)
    {
        _stream = stream;
        Upgraded = upgraded;
    }

    public bool Upgraded { get; }

    public static async Task<Hijack> AcceptAsync(HttpContext ctx, bool tty)
    {
        // dockerd 1.42+: the multiplexed stream has a media type of its own; the CLI decides by Tty either way.
        ctx.Response.ContentType = tty || ctx.Version() < new ApiVersion(1, 42) ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is { IsUpgradableRequest: true })
        {
            ctx.Response.Headers.Upgrade = "tcp";
            var upgraded = await upgrade.UpgradeAsync();
            var items = ctx.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items;
            var end = items?.TryGetValue(typeof(UpgradeBodyMiddleware.InputEnd), out var e) == true ? (UpgradeBodyMiddleware.InputEnd)e! : null;
            var stream = items?.TryGetValue(typeof(UpgradeBodyMiddleware.OutputEnd), out var o) == true
                ? new ClientOutputStream(upgraded, (UpgradeBodyMiddleware.OutputEnd)o!) : upgraded;
            return new Hijack(stream, upgraded: true) { _input = end is null ? stream : new HalfClosedReader(stream, end) };
        }
        // The headers go at once, as dockerd's hijack writes them: an attach waiting for a start sends nothing else
        // until then, and its client waits for the answer before it starts the container.
        await ctx.Response.StartAsync(ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        return new Hijack(ctx.Response.Body, upgraded: false);
    }

    /// <summary>The engine's end of this connection: input only when asked for (and upgraded), output framed by
    /// <paramref name="tty"/>.</summary>
    public AttachStreams Streams(bool tty, bool stdin, bool stdout, bool stderr, TerminalSize? size, DetachKeys keys) => new()
    {
        Stdin = stdin && Upgraded ? _input ?? _stream : null,
        Stdout = !stdout ? Stream.Null : tty ? new LockedWriteStream(_stream, _gate) : new MultiplexedStream(_stream, StdCopy.Stdout, _gate),
        Stderr = tty ? null : !stderr ? Stream.Null : new MultiplexedStream(_stream, StdCopy.Stderr, _gate),
        Size = size,
        DetachKeys = keys,
    };

    /// <summary>A sink for the container's log on this connection (attach's <c>logs=1</c>), framed as the live
    /// output is.</summary>
    public Engine.Containers.ILogSink LogSink(bool tty, bool stdout, bool stderr) =>
        new LogStreamSink(new LockedWriteStream(_stream, _gate), tty, stdout, stderr, timestamps: false);

    public async ValueTask DisposeAsync()
    {
        if (!Upgraded) return;
        try
        {
            await _stream.DisposeAsync();
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A hijacked connection whose writes fail once the client is gone (as a socket's would with EPIPE), so that
/// whatever relays to it (attach, exec) stops at its next write, as dockerd's copy does, instead of writing into
/// nothing until the container exits.</summary>
internal sealed class ClientOutputStream(Stream inner, UpgradeBodyMiddleware.OutputEnd end) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    private void ThrowIfGone()
    {
        if (end.Gone.IsCancellationRequested) throw new IOException("the client closed the connection");
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);

    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfGone();
        inner.Write(buffer, offset, count);
        ThrowIfGone();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        ThrowIfGone();
        await inner.WriteAsync(buffer, ct);
        ThrowIfGone();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Flush()
    {
        ThrowIfGone();
        inner.Flush();
    }

    public override async Task FlushAsync(CancellationToken ct)
    {
        ThrowIfGone();
        await inner.FlushAsync(ct);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The input side of a hijacked connection: reads end (0) at the client's half-close, once every byte the
/// client sent before it has been read.</summary>
internal sealed class HalfClosedReader(Stream inner, UpgradeBodyMiddleware.InputEnd end) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            int n;
            if (end.Ended.IsCancellationRequested)
            {
                // The client finished sending: what it sent is in the pipe already, then the end.
                if (_read >= end.Received) return 0;
                n = await inner.ReadAsync(buffer, ct);
            }
            else
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, end.Ended);
                try
                {
                    n = await inner.ReadAsync(buffer, linked.Token);
                }
                catch (OperationCanceledException) when (end.Ended.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    continue;
                }
            }
            _read += n;
            return n;
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
