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

    /// <summary>The resolv.conf of a container on a user network, as docker writes it (reference §2.4) with the
    /// network's resolver at <paramref name="nameserver"/> (docker's is 127.0.0.11): the host's comments and
    /// nameservers dropped, <c>search</c> first (the host's, or <paramref name="search"/>), then the one nameserver,
    /// then the options (the host's, or <paramref name="options"/>) with <c>ndots:0</c> added unless an ndots is
    /// among them.</summary>
    public static string ForUserNetwork(string hostFile, string nameserver, IReadOnlyList<string> search, IReadOnlyList<string> options)
    {
        var hostSearch = new List<string>();
        var hostOptions = new List<string>();
        foreach (var line in hostFile.Split('\n'))
        {
            var f = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2) continue;
            // The last search or domain line wins (resolv.conf(5)).
            if (f[0] is "search" or "domain") hostSearch = [.. f[1..]];
            else if (f[0] == "options") hostOptions.AddRange(f[1..]);
        }
        var domains = search.Count > 0 ? search : hostSearch;
        var opts = (options.Count > 0 ? options : hostOptions).ToList();
        if (!opts.Any(o => o.StartsWith("ndots:", StringComparison.Ordinal))) opts.Add("ndots:0");
        var text = new System.Text.StringBuilder();
        if (domains.Count > 0) text.Append("search ").Append(string.Join(' ', domains)).Append('\n');
        text.Append("nameserver ").Append(nameserver).Append('\n');
        text.Append("options ").Append(string.Join(' ', opts)).Append('\n');
        return text.ToString();
    }

    /// <summary>The nameservers of a resolv.conf, in order.</summary>
    public static IReadOnlyList<string> Nameservers(string file) =>
        file.Split('\n').Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] == "nameserver").Select(f => f[1]).ToList();
}
