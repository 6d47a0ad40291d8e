namespace Berth.Network;

/// <summary>The <c>/etc/resolv.conf</c> a container on a bridge network gets, as docker writes it: the host's file
/// without its loopback nameservers (they would be the container's own loopback), and Google's public servers
/// when none is left.</summary>
public static class ResolvConf
{
    public static string ForBridge(string hostFile)
    {
        var lines = hostFile.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        var kept = lines.Where(l => !IsLoopbackNameserver(l)).ToList();
        if (!kept.Any(l => l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal)))
        {
            kept.Add("");
            kept.Add("nameserver 8.8.8.8");
            kept.Add("nameserver 8.8.4.4");
        }
        return string.Join('\n', kept) + "\n";
    }

    private static bool IsLoopbackNameserver(string line)
    {
        var f = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return f.Length >= 2 && f[0] == "nameserver" && (f[1].StartsWith("127.", StringComparison.Ordinal) || f[1] == "::1");
    }
}
