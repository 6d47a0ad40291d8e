using System.Buffers.Binary;
using System.Net.Sockets;

namespace Berth.Engine.Containers;

/// <summary>The monitor's side of <c>attach</c>: a Unix socket (mode 0600, in a root-only directory) that every
/// <c>berth attach</c> connects to. Each client gets the container's output from then on — raw with a terminal, else
/// in docker's stream framing (stdcopy: one byte for the stream, three zero, a big-endian length, the bytes) — and
/// what it sends goes to the container's stdin when the container was started with <c>-i</c>. A slow client slows
/// the container's output, as with docker.</summary>
internal sealed class AttachServer : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly bool _tty;
    private readonly Stream? _input;
    private readonly List<Socket> _clients = [];
    private readonly Lock _lock = new();

    /// <summary>The socket of container <paramref name="id"/> in the attach directory <paramref name="dir"/>.</summary>
    public static string PathOf(string dir, string id) => Path.Combine(dir, id + ".sock");

    /// <summary>Removes a socket file; a missing file or directory (a fresh boot) is fine.</summary>
    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public AttachServer(string dir, string id, bool tty, Stream? input)
    {
        _tty = tty;
        _input = input;
        _path = PathOf(EngineOptions.EnsurePrivateDirectory(dir), id);
        File.Delete(_path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Berth.Runtime.UnixSockets.Bind(_listener, _path);
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(8);
        new Thread(Accept, 256 * 1024) { IsBackground = true, Name = "berth-attach" }.Start();
    }

    /// <summary>A stream for <see cref="JsonLogWriter.Pump"/>'s echo: what the container writes on stdout (1) or
    /// stderr (2), to every client.</summary>
    public Stream Output(byte stream) => new FanOut(this, stream);

    private void Accept()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_lock) _clients.Add(client);
            if (_input is not null) new Thread(() => CopyInput(client), 256 * 1024) { IsBackground = true, Name = "berth-attach-in" }.Start();
        }
    }

    private void CopyInput(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = client.Receive(buffer);
                if (n <= 0) return;
                _input!.Write(buffer, 0, n);
                _input.Flush();
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The client left, or the container's stdin is gone; the container's stdin stays open for the next one.
        }
        finally
        {
            // Closed by the thread that reads it: .NET's Dispose of a socket waits for a Receive in another thread
            // to return, which kept the monitor spinning after its container exited.
            lock (_lock) _clients.Remove(client);
            client.Dispose();
        }
    }

    private void Broadcast(byte stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        header[0] = stream;
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)data.Length);
        lock (_lock)
        {
            for (var i = _clients.Count - 1; i >= 0; i--)
            {
                try
                {
                    if (!_tty) _clients[i].Send(header);
                    _clients[i].Send(data);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    _clients[i].Dispose();
                    _clients.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Closes the socket and every client: they see the end of the output, then read the exit code.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        Remove(_path);
        lock (_lock)
        {
            foreach (var c in _clients)
            {
                try
                {
                    c.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
                // A client that feeds stdin is closed by its input thread (CopyInput), once its Receive returns.
                if (_input is null) c.Dispose();
            }
            _clients.Clear();
        }
    }

    private sealed class FanOut(AttachServer server, byte stream) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => server.Broadcast(stream, buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
