using System.Net;

namespace Berth.Distribution.Reference;

/// <summary>Where a reference's domain is served: docker's rules (<c>docker.io</c> names live on
/// <c>registry-1.docker.io</c>), and whether plain HTTP may be used (loopback, or listed as insecure).</summary>
/// <see href="https://github.com/distribution/reference/blob/main/normalize.go"/>
public static class RegistryHost
{
    /// <summary>Docker Hub's registry endpoint, where every <c>docker.io/…</c> name is pulled from.</summary>
    public const string DockerHubEndpoint = "registry-1.docker.io";

    /// <summary>The key under which docker keeps Docker Hub's credentials in config.json.</summary>
    public const string DockerHubAuthKey = "https://index.docker.io/v1/";

    /// <summary>The host (and port) to talk to for a reference's domain.</summary>
    public static string EndpointOf(string domain) =>
        domain is "docker.io" or "index.docker.io" or "registry-1.docker.io" ? DockerHubEndpoint : domain;

    /// <summary>The key of a registry in config.json's <c>auths</c>, as docker writes it.</summary>
    public static string AuthKeyOf(string domain) =>
        EndpointOf(domain) == DockerHubEndpoint ? DockerHubAuthKey : domain;

    /// <summary>Normalises what a user gives <c>login</c>/<c>logout</c> (<c>https://host:5000/</c>, <c>docker.io</c>)
    /// to a registry domain.</summary>
    public static string DomainOfServer(string? server)
    {
        if (string.IsNullOrEmpty(server)) return "docker.io";
        string s = server;
        if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) s = s[8..];
        else if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        int slash = s.IndexOf('/');
        if (slash >= 0) s = s[..slash];
        return s is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : s;
    }

    /// <summary>True for <c>localhost</c>, 127.0.0.0/8 and ::1, with any port: docker talks plain HTTP to these
    /// (its default insecure registry CIDR is 127.0.0.0/8).</summary>
    public static bool IsLoopback(string hostAndPort)
    {
        string host = HostOnly(hostAndPort);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>The host without its port (<c>[::1]:5000</c> → <c>[::1]</c>).</summary>
    public static string HostOnly(string hostAndPort)
    {
        if (hostAndPort.StartsWith('['))
        {
            int end = hostAndPort.IndexOf(']');
            return end < 0 ? hostAndPort : hostAndPort[..(end + 1)];
        }
        int colon = hostAndPort.LastIndexOf(':');
        return colon < 0 ? hostAndPort : hostAndPort[..colon];
    }
}
