using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>--network</c> on run and create as docker/cli reads it (opts/network.go, container/opts.go parseNetworkOpts):
/// a network name, or the long syntax <c>name=N,alias=A,ip=…,ip6=…,mac-address=…</c>; given several times, the
/// container joins each (the first is its <c>--network</c>, eth0; the others follow in order). The first network
/// also takes <c>--network-alias</c>, <c>--ip</c>, <c>--ip6</c> and <c>--mac-address</c>, which conflict with the
/// same option given per network.
/// </summary>
internal static partial class NetworkFlag
{
    /// <summary>One <c>--network</c> value.</summary>
    public sealed record Attachment
    {
        public required string Target { get; init; }
        public IReadOnlyList<string> Aliases { get; init; } = [];
        public string? IPv4Address { get; init; }
        public string? IPv6Address { get; init; }
        public string? MacAddress { get; init; }
    }

    /// <summary>docker/cli's test for the long syntax: a <c>key=value</c> pair of word characters anywhere.</summary>
    [GeneratedRegex(@"\w+=\w+(,\w+=\w+)*")]
    private static partial Regex LongSyntax();

    /// <summary>One value: its fields, case-folded as docker/cli folds them (values included).</summary>
    public static Attachment Parse(string value)
    {
        if (!LongSyntax().IsMatch(value)) return new Attachment { Target = value };
        string target = "";
        var aliases = new List<string>();
        string? v4 = null, v6 = null, mac = null;
        foreach (var field in CsvFields(value))
        {
            var eq = field.IndexOf('=');
            var key = eq < 0 ? "" : field[..eq].ToLowerInvariant().Trim();
            if (key.Length == 0) throw BerthException.Invalid($"invalid field {field}");
            var val = field[(eq + 1)..].ToLowerInvariant().Trim();
            switch (key)
            {
                case "name": target = val; break;
                case "alias": aliases.Add(val); break;
                case "ip": v4 = Address(val); break;
                case "ip6": v6 = Address(val); break;
                case "mac-address": mac = val; break;
                case "link-local-ip" or "driver-opt" or "gw-priority":
                    throw BerthException.Invalid($"{key}: berth does not support this endpoint option");
                default: throw BerthException.Invalid($"invalid field key {key}");
            }
        }
        if (target.Length == 0) throw BerthException.Invalid("network name/id is not specified");
        return new Attachment { Target = target, Aliases = aliases, IPv4Address = v4, IPv6Address = v6, MacAddress = mac };
    }

    /// <summary>The container's networks from every <c>--network</c> (none given: the default network) with the
    /// first one's options from the single-network flags; docker/cli's errors for a conflict, a network named twice,
    /// aliases on a network that is not user-defined, and user-defined networks mixed with bridge/host/none.</summary>
    public static (Attachment First, IReadOnlyList<NetworkEndpointRequest> More) Resolve(
        IReadOnlyList<Attachment> given, IReadOnlyList<string> aliases, string? ipv4, string? ipv6, string? mac)
    {
        var list = given.Count == 0 ? [new Attachment { Target = "default" }] : given.ToList();
        var first = list[0];
        if (first.Aliases.Count > 0 && aliases.Count > 0)
            throw BerthException.Invalid("conflicting options: cannot specify both --network-alias and per-network alias");
        if (first.IPv4Address is not null && ipv4 is not null)
            throw BerthException.Invalid("conflicting options: cannot specify both --ip and per-network IPv4 address");
        if (first.IPv6Address is not null && ipv6 is not null)
            throw BerthException.Invalid("conflicting options: cannot specify both --ip6 and per-network IPv6 address");
        if (first.MacAddress is not null && mac is not null)
            throw BerthException.Invalid("conflicting options: cannot specify both --mac-address and per-network MAC address");
        list[0] = first with
        {
            Aliases = aliases.Count > 0 ? aliases : first.Aliases,
            IPv4Address = ipv4 ?? first.IPv4Address,
            IPv6Address = ipv6 ?? first.IPv6Address,
            MacAddress = mac ?? first.MacAddress,
        };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool user = false, builtin = false;
        foreach (var a in list)
        {
            if (a.Target.Trim().Length == 0) throw BerthException.Invalid("no name set for network");
            if (UserDefined(a.Target)) user = true;
            else
            {
                builtin = true;
                if (a.Aliases.Count > 0 && given.Count > 0) throw BerthException.Invalid("network-scoped aliases are only supported for user-defined networks");
            }
            if (!seen.Add(a.Target)) throw BerthException.Invalid($"network \"{a.Target}\" is specified multiple times");
        }
        if (user && builtin) throw BerthException.Invalid("conflicting options: cannot attach both user-defined and non-user-defined network-modes");
        var more = list.Skip(1).Select(a => new NetworkEndpointRequest
        {
            Network = a.Target,
            Endpoint = new EndpointRequest
            {
                Aliases = a.Aliases,
                IPv4Address = a.IPv4Address,
                IPv6Address = a.IPv6Address,
                MacAddress = a.MacAddress is { } m ? Engine.Networks.AddressRequest.NormalizeMac(m) : null,
            },
        }).ToList();
        return (list[0], more);
    }

    /// <summary>docker's NetworkMode.IsUserDefined: not default, bridge, host, none or container:….</summary>
    private static bool UserDefined(string mode) =>
        mode is not ("default" or "bridge" or "host" or "none") && !mode.StartsWith("container:", StringComparison.Ordinal);

    /// <summary>An address as Go's netip.ParseAddr takes it (its words when it does not).</summary>
    private static string Address(string text) =>
        text.Length > 0 && !text.Contains('/') && IPAddress.TryParse(text, out var ip) && (ip.ToString() == text || text.Contains(':'))
            ? text : throw BerthException.Invalid($"ParseAddr(\"{text}\"): unable to parse IP");

    /// <summary>One CSV record (Go's encoding/csv: commas separate, double quotes enclose a field with commas).</summary>
    private static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"' && quoted && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
