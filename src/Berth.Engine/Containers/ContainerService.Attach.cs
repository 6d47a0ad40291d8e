using System.Buffers.Binary;
using System.Net.Sockets;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary>A client attaches (the Engine API's attach, the CLI's attached run, <c>start -a</c> and
    /// <c>attach</c>): dockerd's attach event, recorded when the client asks, so before the start it waits for.</summary>
    public void RecordAttach(ContainerRow row) => Record(row, "attach");

    /// <summary><c>attach</c>: connects <paramref name="streams"/> to a running container through its monitor
    /// (<see cref="AttachServer"/>): its output from now on (stdout and stderr apart, or the terminal raw), the input
    /// to its stdin when it was started with <c>-i</c>. With a terminal the detach keys end the session and leave the
    /// container running. The session ends with the container's exit code once it exits, or on a detach.</summary>
    public async Task<StdioSession> AttachAsync(ContainerRow row, AttachStreams streams, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        // A live monitor serves the attach even when its init has just exited: it sends the rest of the output, then
        // the exit code. One started for an attach first (docker run, run -it) reaps its init only once a client has
        // come, so reconciling here — waiting for that monitor to record the exit — waited for this very attach (a
        // second per docker run of a short command, until the wait timed out).
        if (!(row.Status == "running" && Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart))) row = Reconcile(row);
        if (row.Status != "running") throw BerthException.Conflict("You cannot attach to a stopped container, start it first");
        var config = ConfigOf(row);
        var tty = config.Request.Tty;
        // Asked first, so the exit code is there to read however soon the container exits.
        var exit = await ConnectAsync(row, AttachServer.Request(AttachServer.WaitRequest, null), ct).ConfigureAwait(false);
        Socket socket;
        try
        {
            // docker run -i without a terminal (StdinOnce, which berth's containers have with OpenStdin): the end of
            // this client's input is the end of the container's stdin. With a terminal it stays open, as dockerd's.
            var kind = streams.Stdin is not null && config.Request.OpenStdin && !tty ? AttachServer.StdinOnceRequest : AttachServer.AttachRequest;
            socket = await ConnectAsync(row, AttachServer.Request(kind, streams.Size), ct).ConfigureAwait(false);
        }
        catch
        {
            exit.Dispose();
            throw;
        }
        var detached = 0;
        if (streams.Stdin is { } input && config.Request.OpenStdin)
        {
            // The socket's stream is not closed at the end of input: the container's stdin stays open for others.
            StartInput(input, new NetworkStream(socket, ownsSocket: false), tty ? streams.DetachKeys : null, () =>
            {
                Interlocked.Exchange(ref detached, 1);
                Shutdown(socket);
            }, closeTarget: false, onEnd: tty ? null : () => ShutdownSend(socket));
        }
        var id = row.Id;
        var end = Task.Factory.StartNew(() =>
        {
            using (socket)
            using (exit)
            {
                var callerGone = !RelayOutput(socket, tty, streams.Stdout ?? Stream.Null, streams.Stderr ?? streams.Stdout ?? Stream.Null);
                // A caller whose output failed (a client that went away) leaves, the container runs on: a detach.
                if (Volatile.Read(ref detached) == 1 || callerGone) return new SessionEnd(0, Detached: true);
                // The monitor sends the exit code once recorded; one that died says nothing, and the store answers.
                var code = new byte[4];
                return ReceiveExactly(exit, code)
                    ? new SessionEnd(BinaryPrimitives.ReadInt32BigEndian(code), Detached: false)
                    : new SessionEnd(Wait(row, CancellationToken.None), Detached: false);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new StdioSession(end,
            size => { if (OperatingSystem.IsLinux()) _ = ResizeAsync(row, size); },
            signal =>
            {
                if (signal == 9) KillAll(id);
                else
                {
                    try
                    {
                        Runtime.Kill(id, signal);
                    }
                    catch (BerthException)
                    {
                    }
                }
            },
            tty);
    }

    /// <summary>Copies the monitor's output to the caller's streams until the monitor closes it (the container
    /// exited) or the session is shut down (a detach): true; false when a write to the caller failed (it went away).</summary>
    private static bool RelayOutput(Socket socket, bool tty, Stream stdout, Stream stderr)
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
                    if (n <= 0) return true;
                    if (!Deliver(stdout, buffer, n, flush: true)) return false;
                    continue;
                }
                if (!ReceiveExactly(socket, header)) return true;
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var target = header[0] == 2 ? stderr : stdout;
                while (length > 0)
                {
                    var n = socket.Receive(buffer, 0, Math.Min(length, buffer.Length), SocketFlags.None);
                    if (n <= 0) return true;
                    if (!Deliver(target, buffer, n, flush: false)) return false;
                    length -= n;
                }
                if (!Deliver(target, buffer, 0, flush: true)) return false;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The monitor went away: the session ends.
            return true;
        }
    }

    /// <summary>Writes to the caller's output; false when it failed (the caller went away).</summary>
    private static bool Deliver(Stream target, byte[] buffer, int count, bool flush)
    {
        try
        {
            if (count > 0) target.Write(buffer, 0, count);
            if (flush) target.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sets the terminal size of a container started with one, through its monitor.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private async Task ResizeAsync(ContainerRow row, TerminalSize size)
    {
        try
        {
            using var socket = await ConnectAsync(row, AttachServer.Request(AttachServer.ResizeRequest, size), CancellationToken.None).ConfigureAwait(false);
        }
        catch (BerthException)
        {
            // The container is gone: nothing to resize.
        }
    }

    private static void Shutdown(Socket socket) => Shutdown(socket, SocketShutdown.Both);

    /// <summary>The end of the client's input, the socket still open for the output.</summary>
    private static void ShutdownSend(Socket socket) => Shutdown(socket, SocketShutdown.Send);

    private static void Shutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Connects to the container's monitor and sends <paramref name="request"/>. Right after a start the
    /// monitor may still be re-executing itself (a few milliseconds) before it listens: retried for up to 2 s while
    /// it lives.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private async Task<Socket> ConnectAsync(ContainerRow row, byte[] request, CancellationToken ct)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                Berth.Runtime.UnixSockets.Connect(socket, AttachSocketOf(row.Id));
                socket.Send(request);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                if (Environment.TickCount64 > deadline || !Berth.Runtime.Process.ProcessInfo.IsAlive(row.MonitorPid, row.MonitorStart))
                    throw new BerthException(ErrorKind.Unavailable, $"container {row.Id}: its monitor does not accept attaches ({e.Message})");
                await Task.Delay(5, ct).ConfigureAwait(false);
            }
        }
    }

    private static bool ReceiveExactly(Socket socket, byte[] buffer)
    {
        var got = 0;
        try
        {
            while (got < buffer.Length)
            {
                var n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
                if (n <= 0) return false;
                got += n;
            }
        }
        catch (SocketException)
        {
            return false;
        }
        return true;
    }
}
