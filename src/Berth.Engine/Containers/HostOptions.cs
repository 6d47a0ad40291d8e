using System.Globalization;
using System.Net;
using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Engine.Containers;

/// <summary>docker's per-container host settings, checked and turned into what the container gets: /etc/hosts
/// entries (<c>--add-host</c>), resolv.conf (<c>--dns</c>, <c>--dns-search</c>, <c>--dns-option</c>), rlimits
/// (<c>--ulimit</c>) and namespaced sysctls (<c>--sysctl</c>), with docker's errors.</summary>
public static class HostOptions
{
    /// <summary>The CPUs this process may run on, as docker's daemon counts them for <c>--cpus</c> (Go's NumCPU: the
    /// affinity mask, here <c>Cpus_allowed_list</c> of /proc/self/status), else the processor count.</summary>
    public static int CpuCount()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) continue;
                var count = 0;
                foreach (var range in line["Cpus_allowed_list:".Length..].Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var dash = range.IndexOf('-');
                    count += dash < 0 ? 1 : int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture) - int.Parse(range[..dash], CultureInfo.InvariantCulture) + 1;
                }
                if (count > 0) return count;
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
        }
        return Environment.ProcessorCount;
    }

    /// <summary><c>--add-host host:ip</c> (or <c>host=ip</c>) as an /etc/hosts line.</summary>
    public static string HostsLine(string spec)
    {
        var sep = spec.IndexOf('=') is var eq and > 0 ? eq : spec.IndexOf(':');
        if (sep <= 0) throw BerthException.Invalid($"invalid argument \"{spec}\" for \"--add-host\" flag: bad format for add-host: \"{spec}\"");
        var (host, ip) = (spec[..sep], spec[(sep + 1)..].Trim('[', ']'));
        if (ip == "host-gateway") throw BerthException.Invalid($"--add-host {spec}: host-gateway needs a bridge network, which berth does not have yet");
        if (!IPAddress.TryParse(ip, out _)) throw BerthException.Invalid($"invalid argument \"{spec}\" for \"--add-host\" flag: invalid IP address in add-host: \"{ip}\"");
        return $"{ip}\t{host}";
    }

    /// <summary>The host's resolv.conf with docker's overrides: --dns replaces the nameservers, --dns-search the search
    /// domains, --dns-option the options.</summary>
    public static string ResolvConf(string host, IReadOnlyList<string> dns, IReadOnlyList<string> search, IReadOnlyList<string> options)
    {
        foreach (var d in dns)
            if (!IPAddress.TryParse(d, out _)) throw BerthException.Invalid($"invalid argument \"{d}\" for \"--dns\" flag: {d} is not an ip address");
        var lines = host.Split('\n').Where(l =>
        {
            var t = l.TrimStart();
            return !(dns.Count > 0 && t.StartsWith("nameserver", StringComparison.Ordinal)
                     || search.Count > 0 && (t.StartsWith("search", StringComparison.Ordinal) || t.StartsWith("domain", StringComparison.Ordinal))
                     || options.Count > 0 && t.StartsWith("options", StringComparison.Ordinal));
        }).Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        lines.AddRange(dns.Select(d => "nameserver " + d));
        if (search.Count > 0) lines.Add("search " + string.Join(' ', search));
        if (options.Count > 0) lines.Add("options " + string.Join(' ', options));
        return lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
    }

    /// <summary>The sysctls docker lets a container set: those of its IPC namespace, and of its network namespace
    /// unless it shares the host's.</summary>
    public static void CheckSysctl(string key, string network)
    {
        string[] ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
        if (ipc.Contains(key) || key.StartsWith("fs.mqueue.", StringComparison.Ordinal)) return;
        if (key.StartsWith("net.", StringComparison.Ordinal))
        {
            if (network == "host") throw BerthException.Invalid($"sysctl '{key}' not allowed in host network namespace");
            return;
        }
        throw BerthException.Invalid($"sysctl '{key}' is not whitelisted");
    }
}
