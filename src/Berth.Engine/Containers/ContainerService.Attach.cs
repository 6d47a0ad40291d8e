using System.Buffers.Binary;
using System.Net.Sockets;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>attach</c>: connects our stdio to a detached container through its monitor
    /// (<see cref="AttachServer"/>): its output from now on (stdout and stderr apart, or the terminal raw), our stdin
    /// to its stdin when it was started with <c>-i</c>, signals forwarded without a terminal. Ctrl-P Ctrl-Q detaches
    /// from a terminal. Returns the container's exit code once it exits, or 0 after a detach.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public int Attach(ContainerRow row, bool stdin, CancellationToken ct)
    {
        row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict("You cannot attach to a stopped container, start it first");
        var config = ConfigOf(row);
        var tty = config.Request.Tty;
        using var socket = Connect(row);
        using var raw = tty && stdin ? new Berth.Runtime.Process.RawTerminal() : null;
        using var proxy = tty ? null : new SignalProxy(this, row, handleInterrupt: true);
        var detached = 0;
        if (stdin && config.Request.OpenStdin)
        {
            new Thread(() =>
            {
                using var ours = Console.OpenStandardInput();
                var buffer = new byte[4096];
                var sawCtrlP = false;
                try
                {
                    while (true)
                    {
                        var n = ours.Read(buffer, 0, buffer.Length);
                        if (n <= 0) return;
                        if (tty)
                        {
                            // docker's detach keys: Ctrl-P then Ctrl-Q.
                            for (var i = 0; i < n; i++)
                            {
                                if (sawCtrlP && buffer[i] == 0x11)
                                {
                                    Interlocked.Exchange(ref detached, 1);
                                    socket.Shutdown(SocketShutdown.Both);
                                    return;
                                }
                                sawCtrlP = buffer[i] == 0x10;
                            }
                        }
                        socket.Send(buffer.AsSpan(0, n));
                    }
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                }
            }) { IsBackground = true, Name = "berth-attach-stdin" }.Start();
        }

        using (var stdout = Console.OpenStandardOutput())
        using (var stderr = Console.OpenStandardError())
        {
            var buffer = new byte[64 * 1024];
            var header = new byte[8];
            try
            {
                while (true)
                {
                    if (tty)
                    {
                        var n = socket.Receive(buffer);
                        if (n <= 0) break;
                        stdout.Write(buffer, 0, n);
                        stdout.Flush();
                        continue;
                    }
                    if (!ReceiveExactly(socket, header)) break;
                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                    var target = header[0] == 2 ? stderr : stdout;
                    while (length > 0)
                    {
                        var n = socket.Receive(buffer, 0, Math.Min(length, buffer.Length), SocketFlags.None);
                        if (n <= 0) break;
                        target.Write(buffer, 0, n);
                        length -= n;
                    }
                    target.Flush();
                }
            }
            catch (SocketException)
            {
            }
        }
        if (detached == 1) return 0;
        // The monitor closes the socket after recording the exit.
        return Wait(row, ct);
    }

    /// <summary>Connects to the container's monitor. Right after <c>run -d</c> the monitor may still be re-executing
    /// itself (a few milliseconds) before it listens: retried for up to 2 s while it lives.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private Socket Connect(ContainerRow row)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                Berth.Runtime.UnixSockets.Connect(socket, AttachSocketOf(row.Id));
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                if (Environment.TickCount64 > deadline || !Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart))
                    throw new BerthException(ErrorKind.Unavailable, $"container {row.Id}: its monitor does not accept attaches ({e.Message})");
                Thread.Sleep(5);
            }
        }
    }

    private static bool ReceiveExactly(Socket socket, byte[] buffer)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n <= 0) return false;
            got += n;
        }
        return true;
    }
}
