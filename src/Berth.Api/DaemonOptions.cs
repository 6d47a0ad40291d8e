using Berth.Engine;
using Berth.Oci.Errors;

namespace Berth.Api;

/// <summary>Where <c>berth daemon</c> listens and how much it logs.</summary>
public sealed record DaemonOptions
{
    public required EngineOptions Engine { get; init; }

    /// <summary><c>-H</c> values: <c>unix:///path</c>, <c>tcp://127.0.0.1:PORT</c>, <c>fd://</c> (socket activation);
    /// default: <c>unix://STATE_DIR/berth.sock</c>.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>dockerd's levels: debug, info, warn, error, fatal.</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>The group given access to a unix socket (0660) when it exists; else the socket is root's only (0600).</summary>
    public string SocketGroup { get; init; } = "berth";

    /// <summary>Request bodies that are JSON documents are refused above this many bytes (413); archives (load, build,
    /// archive PUT) are streams and have no bound.</summary>
    public long MaxJsonBody { get; init; } = 4 << 20;

    /// <summary>Requests that work the engine at the same time; more wait in a queue (bounded memory and threads under
    /// load). Streams that wait on containers (logs -f, wait, events, attach) do not count.</summary>
    public int MaxConcurrentRequests { get; init; } = 32;

    /// <summary>A connection whose request headers have not all come after this long is closed (Kestrel answers 408).
    /// dockerd allows 5 minutes; a client sends its headers at once.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string DefaultSocket => Path.Combine(Engine.StateDir, "berth.sock");

    /// <summary>A listening address, parsed.</summary>
    public sealed record Listen(string Scheme, string Address, int Port);

    public IReadOnlyList<Listen> ParseHosts()
    {
        var hosts = Hosts.Count == 0 ? ["unix://" + DefaultSocket] : Hosts;
        var list = new List<Listen>();
        foreach (var h in hosts)
        {
            if (h.StartsWith("unix://", StringComparison.Ordinal))
            {
                var path = h["unix://".Length..];
                list.Add(new Listen("unix", path.Length == 0 ? DefaultSocket : Path.GetFullPath(path), 0));
            }
            else if (h.StartsWith("tcp://", StringComparison.Ordinal))
            {
                var rest = h["tcp://".Length..].TrimEnd('/');
                var colon = rest.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                    throw BerthException.Invalid($"invalid host {h}: expected tcp://ADDRESS:PORT");
                list.Add(new Listen("tcp", rest[..colon].Trim('[', ']'), port));
            }
            else if (h == "fd://")
            {
                list.Add(new Listen("fd", "", 0));
            }
            else
            {
                throw BerthException.Invalid($"invalid host {h}: expected unix://PATH, tcp://ADDRESS:PORT or fd://");
            }
        }
        return list;
    }
}
