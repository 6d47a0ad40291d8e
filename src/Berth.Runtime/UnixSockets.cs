using System.Net.Sockets;
using Berth.Runtime.Interop;
using Berth.Interop;

namespace Berth.Runtime;

/// <summary>Binds and connects Unix sockets at any path. A socket address holds at most 107 bytes, and a state
/// directory can be longer than that: a longer path is reached through its directory's descriptor
/// (<c>/proc/self/fd/N/name</c>), as runc and conmon reach their console and attach sockets.</summary>
public static class UnixSockets
{
    private const int MaxPath = 107;

    public static void Bind(Socket socket, string path) => Use(path, endpoint => socket.Bind(endpoint));

    public static void Connect(Socket socket, string path) => Use(path, endpoint => socket.Connect(endpoint));

    private static void Use(string path, Action<UnixDomainSocketEndPoint> act)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) <= MaxPath)
        {
            act(new UnixDomainSocketEndPoint(path));
            return;
        }
        var dir = Path.GetDirectoryName(path) ?? "/";
        var fd = Libc.open(dir, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new SocketException(errno == 2 ? (int)SocketError.AddressNotAvailable : (int)SocketError.AccessDenied);
        }
        using var handle = new SafeFdHandle(fd);
        act(new UnixDomainSocketEndPoint($"{handle.ProcPath}/{Path.GetFileName(path)}"));
    }
}
