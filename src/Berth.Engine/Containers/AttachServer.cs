using System.Buffers.Binary;
using System.Net.Sockets;

namespace Berth.Engine.Containers;

/// <summary>The monitor's side of <c>attach</c>: a Unix socket (mode 0600, in a root-only directory) that attaching
/// clients connect to. Each connection starts with a request of five bytes, a kind and a terminal size (two
/// big-endian 16-bit numbers, rows then columns, zero for none):
/// <list type="bullet">
/// <item><c>a</c> attach: the container's output from then on — raw with a terminal, else in docker's stream framing
/// (stdcopy: one byte for the stream, three zero, a big-endian length, the bytes) — and what the client sends goes
/// to the container's stdin when it was started with <c>-i</c>. A slow client slows the container's output, as with
/// docker.</item>
/// <item><c>s</c> attach, stdin once: as <c>a</c>, and the client's half-close closes the container's stdin (docker's
/// <c>StdinOnce</c>, as <c>docker run -i</c> without a terminal asks: <c>echo hi | docker run -i IMAGE cat</c>
/// ends).</item>
/// <item><c>r</c> resize: sets the terminal's size, then the connection closes.</item>
/// <item><c>w</c> wait: nothing until the container exited and its exit was recorded, then its exit code (a
/// big-endian 32-bit number) and the end.</item>
/// </list></summary>
internal sealed class AttachServer : IDisposable
{
    internal const byte AttachRequest = (byte)'a', StdinOnceRequest = (byte)'s', ResizeRequest = (byte)'r', WaitRequest = (byte)'w';
    internal const int RequestSize = 5;

    private readonly Socket _listener;
    private readonly string _path;
    private readonly bool _tty;
    private readonly Stream? _input;
    private readonly Action<TerminalSize>? _resize;
    private readonly List<Socket> _clients = [];
    private readonly List<Socket> _waiters = [];
    private readonly HashSet<Socket> _inputEnded = [];
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _firstClient = new();

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

    /// <summary>A client's request: its kind and terminal size.</summary>
    internal static byte[] Request(byte kind, TerminalSize? size)
    {
        var bytes = new byte[RequestSize];
        bytes[0] = kind;
        if (size is { IsKnown: true } s)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), s.Height);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(3), s.Width);
        }
        return bytes;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public AttachServer(string dir, string id, bool tty, Stream? input, Action<TerminalSize>? resize)
    {
        _tty = tty;
        _input = input;
        _resize = resize;
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

    /// <summary>Waits until the first attach client has connected, up to <paramref name="timeout"/>: a <c>run -it</c>
    /// whose client attaches right after the start sees the container's first output.</summary>
    public void WaitForFirstClient(TimeSpan timeout) => _firstClient.Wait(timeout);

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
            new Thread(() => Serve(client), 256 * 1024) { IsBackground = true, Name = "berth-attach-in" }.Start();
        }
    }

    private void Serve(Socket client)
    {
        var request = new byte[RequestSize];
        try
        {
            var got = 0;
            while (got < RequestSize)
            {
                var n = client.Receive(request, got, RequestSize - got, SocketFlags.None);
                if (n <= 0)
                {
                    client.Dispose();
                    return;
                }
                got += n;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            client.Dispose();
            return;
        }
        var size = new TerminalSize(BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(1)), BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(3)));
        if (_tty && size.IsKnown) _resize?.Invoke(size);
        switch (request[0])
        {
            case AttachRequest or StdinOnceRequest:
                lock (_lock) _clients.Add(client);
                _firstClient.Set();
                CopyInput(client, closeInput: request[0] == StdinOnceRequest);
                return;
            case WaitRequest:
                lock (_lock) _waiters.Add(client);
                return;
            default:
                client.Dispose();
                return;
        }
    }

    private void CopyInput(Socket client, bool closeInput)
    {
        var buffer = new byte[4096];
        var handedOver = false;
        try
        {
            while (true)
            {
                var n = client.Receive(buffer);
                if (n <= 0)
                {
                    // A half-close (docker's CloseWrite at the end of its stdin): the client still reads the output
                    // until the container exits; the broadcaster or Dispose closes it from now on.
                    if (closeInput) _input?.Dispose();
                    lock (_lock)
                    {
                        if (!_clients.Contains(client)) return;
                        _inputEnded.Add(client);
                        handedOver = true;
                    }
                    return;
                }
                if (_input is null) continue;
                _input.Write(buffer, 0, n);
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
            if (!handedOver)
            {
                lock (_lock) _clients.Remove(client);
                client.Dispose();
            }
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
                    // Shut down, not closed: its input thread closes it (see CopyInput).
                    Shutdown(_clients[i]);
                    if (_inputEnded.Remove(_clients[i])) _clients[i].Dispose();
                    _clients.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Tells the waiting clients the container's exit code.</summary>
    public void Exited(int exitCode)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, exitCode);
        lock (_lock)
        {
            foreach (var w in _waiters)
            {
                try
                {
                    w.Send(bytes);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
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
            // Every attach client is closed by its input thread (CopyInput), once its Receive returns.
            foreach (var c in _clients)
            {
                Shutdown(c);
                if (_inputEnded.Contains(c)) c.Dispose();
            }
            _clients.Clear();
            _inputEnded.Clear();
            foreach (var w in _waiters)
            {
                Shutdown(w);
                w.Dispose();
            }
            _waiters.Clear();
        }
    }

    private static void Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
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
