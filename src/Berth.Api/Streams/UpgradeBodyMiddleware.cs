using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Berth.Api.Streams;

/// <summary>Compat: docker's exec start (CLI, docker-py) is a POST with a JSON body that asks to upgrade the
/// connection (<c>Upgrade: tcp</c>). Kestrel does not upgrade a request that has a body (it serves it as a plain
/// request), so this connection middleware moves such a request's body into the <see cref="Header"/> header (base64)
/// before Kestrel parses it. It follows HTTP/1.1 framing (heads, Content-Length bodies) and passes bytes through
/// untouched after an upgrade or a chunked body (whose framing it does not follow).</summary>
internal static class UpgradeBodyMiddleware
{
    public const string Header = "X-Berth-Upgrade-Body";
    private const int MaxHead = 64 << 10;
    private const int MaxBody = 64 << 10;

    /// <param name="headersTimeout">How long a request's head may take to arrive once it has begun; the connection is
    /// closed after that. This middleware holds a head until it is whole, so Kestrel's own RequestHeadersTimeout
    /// never sees a partial one: the bound is kept here.</param>
    public static Func<ConnectionDelegate, ConnectionDelegate> Create(TimeSpan headersTimeout) => next => async connection =>
    {
        var pipe = new Pipe();
        var outputEnd = new OutputEnd();
        connection.Items[typeof(OutputEnd)] = outputEnd;
        await using var wrapped = new HalfClosableConnection(connection, new DuplexPipe(pipe.Reader, new ObservedPipeWriter(connection.Transport.Output, outputEnd)));
        var inputEnd = new InputEnd();
        connection.Items[typeof(InputEnd)] = inputEnd;
        var pump = PumpAsync(connection.Transport.Input, pipe.Writer, () => wrapped.Upgraded = true, () => wrapped.Upgraded, inputEnd, headersTimeout,
            () => connection.Abort(new ConnectionAbortedException($"the request headers did not arrive within {headersTimeout.TotalSeconds:0} s")));
        try
        {
            await next(wrapped);
        }
        finally
        {
            connection.Transport.Input.CancelPendingRead();
            try { await pump; } catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException) { }
        }
    };

    /// <summary>The connection as Kestrel sees it. Kestrel ends a connection (and drops the response) when the client
    /// half-closes it; docker's clients half-close a hijacked connection as soon as their input ends (at once when
    /// there is none), and expect the output until the process exits. Once upgraded, the client's end of input is
    /// only the end of the upgraded stream's input, not the connection's close.</summary>
    private sealed class HalfClosableConnection : ConnectionContext
    {
        private readonly ConnectionContext _inner;
        private readonly CancellationTokenSource _closed = new();
        private readonly CancellationTokenRegistration _registration;

        public HalfClosableConnection(ConnectionContext inner, IDuplexPipe transport)
        {
            _inner = inner;
            Transport = transport;
            _registration = inner.ConnectionClosed.Register(() =>
            {
                if (!Upgraded) _closed.Cancel();
            });
        }

        public volatile bool Upgraded;

        public override IDuplexPipe Transport { get; set; }
        public override string ConnectionId { get => _inner.ConnectionId; set => _inner.ConnectionId = value; }
        public override Microsoft.AspNetCore.Http.Features.IFeatureCollection Features => _inner.Features;
        public override IDictionary<object, object?> Items { get => _inner.Items; set => _inner.Items = value; }
        public override CancellationToken ConnectionClosed { get => _closed.Token; set { } }
        public override System.Net.EndPoint? LocalEndPoint { get => _inner.LocalEndPoint; set => _inner.LocalEndPoint = value; }
        public override System.Net.EndPoint? RemoteEndPoint { get => _inner.RemoteEndPoint; set => _inner.RemoteEndPoint = value; }
        public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

        public override async ValueTask DisposeAsync()
        {
            await _registration.DisposeAsync();
            _closed.Dispose();
        }
    }

    /// <summary>The client's end of input on a connection (its half-close), in the connection's Items, with the
    /// count of the upgraded stream's bytes passed on before it: a reader ends only once it has read them all (a
    /// client's last stdin and its half-close often come in one read).</summary>
    internal sealed class InputEnd
    {
        private readonly CancellationTokenSource _ended = new();
        private long _received;
        public CancellationToken Ended => _ended.Token;
        public long Received => Interlocked.Read(ref _received);
        public void Add(long bytes) => Interlocked.Add(ref _received, bytes);
        public void Signal() => _ended.Cancel();
    }

    /// <summary>The end of a connection's output, in the connection's Items: <see cref="Gone"/> is cancelled once the
    /// transport takes no more bytes (the client closed its end entirely, or reset it). After an upgrade Kestrel no
    /// longer watches the connection (see <see cref="HalfClosableConnection"/>) and a write to a gone client vanishes
    /// without an error: a hijacked stream asks this instead (<see cref="Hijack"/>).</summary>
    internal sealed class OutputEnd
    {
        private readonly CancellationTokenSource _gone = new();
        public CancellationToken Gone => _gone.Token;

        public void Signal()
        {
            try
            {
                _gone.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>The connection's output as Kestrel writes it, telling <see cref="OutputEnd"/> when a flush finds the
    /// transport's reader gone (the socket's sender failed).</summary>
    private sealed class ObservedPipeWriter(PipeWriter inner, OutputEnd end) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);
        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken ct = default)
        {
            var flush = inner.FlushAsync(ct);
            if (!flush.IsCompletedSuccessfully) return Observed(flush);
            // Its result taken once (a pipe's ValueTask may be backed by a reusable source) and handed on as a value.
            var result = flush.Result;
            if (result.IsCompleted) end.Signal();
            return new ValueTask<FlushResult>(result);
        }

        private async ValueTask<FlushResult> Observed(ValueTask<FlushResult> flush)
        {
            try
            {
                var result = await flush;
                if (result.IsCompleted) end.Signal();
                return result;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                end.Signal();
                throw;
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private static async Task PumpAsync(PipeReader input, PipeWriter output, Action upgraded, Func<bool> isUpgraded, InputEnd inputEnd,
        TimeSpan headersTimeout, Action abort)
    {
        var raw = false;
        long body = 0;
        // When the head held now (not yet whole) began to arrive; null when none is held.
        long? headSince = null;
        try
        {
            while (true)
            {
                ReadResult result;
                if (headSince is { } since)
                {
                    var left = headersTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - since);
                    using var timer = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                    try
                    {
                        result = await input.ReadAsync(timer.Token);
                    }
                    catch (OperationCanceledException) when (timer.IsCancellationRequested)
                    {
                        // A client that began a request and never finished its head (stuck, or hostile).
                        abort();
                        break;
                    }
                }
                else
                {
                    result = await input.ReadAsync();
                }
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                while (true)
                {
                    if (raw || body > 0)
                    {
                        var take = raw ? buffer.Length : Math.Min(body, buffer.Length);
                        foreach (var seg in buffer.Slice(0, take)) output.Write(seg.Span);
                        if (raw && isUpgraded()) inputEnd.Add(take);
                        body -= raw ? 0 : take;
                        buffer = buffer.Slice(take);
                        if (buffer.IsEmpty) break;
                        continue;
                    }
                    var end = IndexOf(buffer, "\r\n\r\n"u8);
                    if (end < 0)
                    {
                        if (buffer.Length > MaxHead) raw = true; // not HTTP as we know it: Kestrel will say so
                        else if (!buffer.IsEmpty) headSince ??= Environment.TickCount64;
                        break;
                    }
                    headSince = null;
                    var head = Encoding.Latin1.GetString(buffer.Slice(0, end + 4));
                    var (length, chunked, upgrade) = Framing(head);
                    if (upgrade && length is > 0 and <= MaxBody && !chunked)
                    {
                        if (buffer.Length < end + 4 + length) break; // the body is still coming
                        var payload = buffer.Slice(end + 4, length.Value).ToArray();
                        var rewritten = RemoveContentLength(head[..^2]) + "Content-Length: 0\r\n" + Header + ": " + Convert.ToBase64String(payload) + "\r\n\r\n";
                        output.Write(Encoding.Latin1.GetBytes(rewritten));
                        buffer = buffer.Slice(end + 4 + length.Value);
                        raw = true;
                        upgraded();
                        continue;
                    }
                    foreach (var seg in buffer.Slice(0, end + 4)) output.Write(seg.Span);
                    buffer = buffer.Slice(end + 4);
                    if (upgrade) upgraded();
                    if (upgrade || chunked) raw = true;
                    else body = length ?? 0;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                var flush = await output.FlushAsync();
                if (result.IsCompleted || flush.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
        }
        // The end of the client's input. Kestrel takes a completed input for a closed connection and drops the
        // response: a hijacked stream learns of it from InputEnd instead (its stdin closes), and the connection
        // ends when the server closes the stream.
        inputEnd.Signal();
        if (!isUpgraded()) await output.CompleteAsync();
    }

    private static (long? Length, bool Chunked, bool Upgrade) Framing(string head)
    {
        long? length = null;
        bool chunked = false, upgradeTcp = false, connectionUpgrade = false;
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var n)) length = n;
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) chunked = true;
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)) upgradeTcp = value.Equals("tcp", StringComparison.OrdinalIgnoreCase);
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) connectionUpgrade = value.Contains("upgrade", StringComparison.OrdinalIgnoreCase);
        }
        return (length, chunked, upgradeTcp && connectionUpgrade);
    }

    private static string RemoveContentLength(string head) =>
        string.Join("\r\n", head.Split("\r\n").Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith(Header + ":", StringComparison.OrdinalIgnoreCase))) ;

    private static long IndexOf(ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> value)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, value, advancePastDelimiter: false) ? before.Length : -1;
    }
}
