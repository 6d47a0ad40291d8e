using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Berth.Network.Dns;

/// <summary>A DNS server on one address, port 53 over UDP and TCP (RFC 1035 §4.2; RFC 7766 for TCP): names of
/// <see cref="IDnsRecords"/> answered locally, every other query forwarded as it came (the client's ID, flags and
/// EDNS kept) to the client's upstream servers, one after the other (each given <see cref="UpstreamTimeout"/>), and
/// their answer relayed unchanged (rcode and TTL pass through, as docker's); SERVFAIL when none answers. A packet that
/// is not a query never stops it: it is answered FORMERR/NOTIMP or dropped, and any failure while serving one
/// packet or connection ends that packet or connection only. In-flight forwards and TCP connections are bounded.</summary>
public sealed class DnsServer : IDisposable
{
    private const int MaxForwards = 256, MaxTcpConnections = 64, MaxUpstreams = 3;
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    private readonly IDnsRecords _records;
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private int _forwards, _connections;

    /// <summary>Binds UDP and TCP sockets on <paramref name="endpoint"/>; a <see cref="SocketException"/> when the
    /// address or port is not free.</summary>
    public DnsServer(IPEndPoint endpoint, IDnsRecords records)
    {
        _records = records;
        _udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _udp.Bind(endpoint);
            _tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _tcp.Bind(endpoint);
            _tcp.Listen(128);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Serves until <paramref name="ct"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken ct) => Task.WhenAll(ServeUdpAsync(ct), ServeTcpAsync(ct));

    private async Task ServeUdpAsync(CancellationToken ct)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP error for an earlier reply: nothing to do with the next packet
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var packet = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var client = (IPEndPoint)received.RemoteEndPoint;
            var reply = Handle(packet, client.Address, udp: true, out var forward);
            if (reply is not null) await SendAsync(reply, client, ct);
            else if (forward)
            {
                if (Interlocked.Increment(ref _forwards) > MaxForwards)
                {
                    Interlocked.Decrement(ref _forwards);
                    continue; // too many queries waiting on upstreams: this one is dropped, the client retries
                }
                _ = ForwardUdpAsync(packet, client, ct);
            }
        }
    }

    private async Task SendAsync(byte[] reply, IPEndPoint client, CancellationToken ct)
    {
        try
        {
            await _udp.SendToAsync(reply, SocketFlags.None, client, ct);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>The answer to <paramref name="packet"/> when it is one of ours (or an error), else null: then
    /// <paramref name="forward"/> says whether it goes upstream (false: dropped).</summary>
    private byte[]? Handle(byte[] packet, IPAddress client, bool udp, out bool forward) => Respond(_records, packet, client, udp, out forward);

    /// <summary>What the server does with one packet, without sockets (tests feed it hostile input).</summary>
    internal static byte[]? Respond(IDnsRecords records, byte[] packet, IPAddress client, bool udp, out bool forward)
    {
        forward = false;
        var parse = DnsMessage.TryParseQuery(packet, out _, out var question, out var questionEnd);
        switch (parse)
        {
            case DnsParse.Ignore: return null;
            case DnsParse.Malformed: return DnsMessage.Error(packet, 0, DnsMessage.RcodeFormErr);
            case DnsParse.NotImplemented: return DnsMessage.Error(packet, 0, DnsMessage.RcodeNotImp);
        }
        DnsLookup? local;
        try
        {
            local = question!.Class == DnsMessage.ClassIn ? records.Lookup(client, question) : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The records could not be read (the store is busy or gone): the client should retry, not give up.
            return DnsMessage.Error(packet, questionEnd, DnsMessage.RcodeServFail);
        }
        if (local is null)
        {
            forward = true;
            return null;
        }
        if (local.Refused) return DnsMessage.Error(packet, questionEnd, DnsMessage.RcodeRefused);
        // Several holders of one name (an alias on two containers) come in a new order each time, as docker's.
        var addresses = local.Addresses.ToArray();
        Random.Shared.Shuffle(addresses);
        return DnsMessage.Answer(packet, questionEnd, DnsMessage.RcodeNoError, addresses, local.Pointers, DnsMessage.LocalTtl, udp);
    }

    private IEnumerable<IPEndPoint> UpstreamsOf(IPAddress client)
    {
        try
        {
            return _records.Upstreams(client).Take(MaxUpstreams).ToList();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [];
        }
    }

    private async Task ForwardUdpAsync(byte[] packet, IPEndPoint client, CancellationToken ct)
    {
        try
        {
            var reply = await ExchangeUdpAsync(packet, UpstreamsOf(client.Address), ct)
                        ?? DnsMessage.Error(packet, QuestionEnd(packet), DnsMessage.RcodeServFail);
            await SendAsync(reply, client, ct);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One query's failure is that query's only.
        }
        finally
        {
            Interlocked.Decrement(ref _forwards);
        }
    }

    private static int QuestionEnd(byte[] packet)
    {
        DnsMessage.TryParseQuery(packet, out _, out _, out var end);
        return end;
    }

    private async Task<byte[]?> ExchangeUdpAsync(byte[] packet, IEnumerable<IPEndPoint> upstreams, CancellationToken ct)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var buffer = new byte[65536];
        foreach (var upstream in upstreams)
        {
            using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(UpstreamTimeout);
            try
            {
                // Connected: the kernel passes on only datagrams from the upstream itself.
                await socket.ConnectAsync(upstream, timeout.Token);
                await socket.SendAsync(packet, SocketFlags.None, timeout.Token);
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    if (n >= DnsMessage.HeaderLength && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id && (buffer[2] & 0x80) != 0)
                    {
                        // docker fails over on SERVFAIL and REFUSED too (docs/network/dns.md).
                        var rcode = buffer[3] & 0xF;
                        if (rcode is DnsMessage.RcodeServFail or DnsMessage.RcodeRefused) break;
                        return buffer.AsSpan(0, n).ToArray();
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
            }
        }
        return null;
    }

    private async Task ServeTcpAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _tcp.AcceptAsync(ct);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (Interlocked.Increment(ref _connections) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _connections);
                connection.Dispose();
                continue;
            }
            _ = ServeConnectionAsync(connection, ct);
        }
    }

    private async Task ServeConnectionAsync(Socket connection, CancellationToken ct)
    {
        try
        {
            using (connection)
            {
                var client = ((IPEndPoint)connection.RemoteEndPoint!).Address;
                while (!ct.IsCancellationRequested)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    idle.CancelAfter(TcpIdle);
                    var packet = await ReadFramedAsync(connection, idle.Token);
                    if (packet is null) return;
                    var reply = Handle(packet, client, udp: false, out var forward);
                    if (reply is null && forward)
                        reply = await ExchangeTcpAsync(packet, UpstreamsOf(client), ct) ?? DnsMessage.Error(packet, QuestionEnd(packet), DnsMessage.RcodeServFail);
                    if (reply is null) return;
                    await WriteFramedAsync(connection, reply, ct);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A client that hangs up, stalls or sends garbage loses its connection, nothing more.
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task<byte[]?> ExchangeTcpAsync(byte[] packet, IEnumerable<IPEndPoint> upstreams, CancellationToken ct)
    {
        foreach (var upstream in upstreams)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(UpstreamTimeout);
            try
            {
                using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(upstream, timeout.Token);
                await WriteFramedAsync(socket, packet, timeout.Token);
                if (await ReadFramedAsync(socket, timeout.Token) is { Length: >= DnsMessage.HeaderLength } reply && (reply[3] & 0xF) is not (DnsMessage.RcodeServFail or DnsMessage.RcodeRefused))
                    return reply;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
            }
        }
        return null;
    }

    /// <summary>One message of a TCP stream (a two-byte length, then that many bytes); null at its end.</summary>
    private static async Task<byte[]?> ReadFramedAsync(Socket socket, CancellationToken ct)
    {
        var head = new byte[2];
        if (!await ReadExactlyAsync(socket, head, ct)) return null;
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(head)];
        return await ReadExactlyAsync(socket, message, ct) ? message : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private static async Task WriteFramedAsync(Socket socket, byte[] message, CancellationToken ct)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None, ct);
    }

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
    }
}
