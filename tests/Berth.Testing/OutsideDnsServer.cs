using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Berth.Testing;

/// <summary>A tiny DNS server of the test's own (UDP, port 53) in a network namespace, standing for the host's
/// upstream resolver: answers the A records it is given (TTL 300) and NXDOMAIN for anything else, and logs every name
/// it was asked. Written independently of berth's DNS code, so it checks berth rather than agreeing with it.</summary>
public sealed class OutsideDnsServer : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile bool _stopping;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    private const int CloneNewNet = 0x40000000;

    /// <param name="netnsPath">The namespace to serve in (e.g. /run/netns/NAME).</param>
    public OutsideDnsServer(string netnsPath, IPAddress address, IReadOnlyDictionary<string, IPAddress> records)
    {
        Socket? made = null;
        Exception? failed = null;
        // A socket belongs to the network namespace of the thread that creates it; this thread joins the namespace
        // (a network namespace may be joined by one thread of a process: setns(2)) and stays there.
        using var ready = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            try
            {
                using (var ns = File.OpenHandle(netnsPath))
                    if (setns((int)ns.DangerousGetHandle(), CloneNewNet) != 0) throw new InvalidOperationException($"setns {netnsPath}: errno {Marshal.GetLastPInvokeError()}");
                made = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
                made.Bind(new IPEndPoint(address, 53));
            }
            catch (Exception e)
            {
                failed = e;
            }
            ready.Set();
            if (failed is null) Serve(made!, records);
        }) { IsBackground = true, Name = "outside-dns" };
        _thread.Start();
        ready.Wait(TimeSpan.FromSeconds(10));
        if (failed is not null) throw new InvalidOperationException("the outside DNS server did not start", failed);
        _socket = made ?? throw new InvalidOperationException("the outside DNS server did not start in time");
    }

    /// <summary>Every name asked, lower case, in order.</summary>
    public ConcurrentQueue<string> Asked { get; } = new();

    private void Serve(Socket socket, IReadOnlyDictionary<string, IPAddress> records)
    {
        var buffer = new byte[4096];
        while (!_stopping)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n;
            try
            {
                n = socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (n < 12) continue;
            var offset = 12;
            var labels = new List<string>();
            while (offset < n && buffer[offset] != 0 && offset + 1 + buffer[offset] <= n)
            {
                labels.Add(System.Text.Encoding.ASCII.GetString(buffer, offset + 1, buffer[offset]));
                offset += 1 + buffer[offset];
            }
            var end = offset + 5;
            if (end > n) continue;
            var name = string.Join('.', labels).ToLowerInvariant();
            var type = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset + 1));
            Asked.Enqueue(name);
            var reply = new List<byte>(buffer[..end]);
            var found = records.TryGetValue(name, out var ip) && type == 1;
            reply[2] = 0x81;
            reply[3] = (byte)(found ? 0x80 : 0x83);
            reply[7] = (byte)(found ? 1 : 0);
            for (var i = 8; i < 12; i++) reply[i] = 0;
            if (found) reply.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4, .. ip!.GetAddressBytes()]);
            try
            {
                socket.SendTo(reply.ToArray(), from);
            }
            catch (SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }
}
