using System.Text.Json.Nodes;
using Berth.Network.Ipam;

namespace Berth.Network.Nftables;

/// <summary>berth's nftables tables (<c>ip berth</c>, and <c>ip6 berth</c> while a network has IPv6) as a
/// libnftables-json(5) document, computed from the networks alone and replaced whole in one transaction:
/// <c>add table; delete table; add table …</c>, so a rerun never duplicates a rule and the last network's removal
/// removes the table. No other table is touched (docker's and the host's rules stay as they are).
/// https://manpages.debian.org/bookworm/libnftables1/libnftables-json.5.en.html</summary>
public static class Ruleset
{
    public const string Table = "berth";

    public static JsonObject For(IReadOnlyList<BridgeNetwork> networks) => For(networks, []);

    /// <summary>The table for <paramref name="networks"/> and the published ports of running containers
    /// (<paramref name="ports"/>): DNAT in the kernel for traffic to a local address (prerouting, and output for the
    /// host's own connections, 127.0.0.1 included), masquerade for what the host itself sends into a bridge (so a
    /// 127.0.0.1 source can leave loopback; the bridge has route_localnet) and for DNATed traffic from a bridge back
    /// into it (hairpin: the reply must come back through the host to be un-NATed).</summary>
    public static JsonObject For(IReadOnlyList<BridgeNetwork> networks, IReadOnlyList<Ports.PortMapping> ports)
    {
        var commands = new JsonArray(Add("table", TableRef()), Command("delete", "table", TableRef()));
        if (networks.Count > 0)
        {
            commands.Add(Add("table", TableRef()));
            commands.Add(Add("chain", Chain("postrouting", "nat", "postrouting", 100)));
            commands.Add(Add("chain", Chain("forward", "filter", "forward", 0)));
            commands.Add(Add("chain", Chain("prerouting", "nat", "prerouting", -100)));
            commands.Add(Add("chain", Chain("output", "nat", "output", -100)));
            commands.Add(Add("chain", new JsonObject { ["family"] = "ip", ["table"] = Table, ["name"] = "ports" }));
            commands.Add(Add("rule", Rule("prerouting", Match("==", Fib("daddr"), "local"), Jump("ports"))));
            commands.Add(Add("rule", Rule("output", Match("==", Fib("daddr"), "local"), Jump("ports"))));
            foreach (var p in ports)
            {
                // A port published on an IPv6 host address is the ip6 table's (below).
                if (p.HostIp.Contains(':')) continue;
                var expr = new List<JsonObject>();
                if (p.HostIp.Length > 0) expr.Add(Match("==", Payload("ip", "daddr"), p.HostIp));
                expr.Add(Match("==", Payload(p.Protocol, "dport"), p.HostPort));
                expr.Add(new JsonObject { ["dnat"] = new JsonObject { ["addr"] = p.ContainerIp, ["port"] = p.ContainerPort } });
                commands.Add(Add("rule", Rule("ports", [.. expr])));
            }
            // Isolation: nothing is forwarded from one berth bridge into another (docker's ISOLATION-STAGE chains,
            // dropped, never rejected), and an internal network's traffic stays on its bridge. Before any accept.
            foreach (var n in networks)
            {
                foreach (var other in networks.Where(o => o.BridgeName != n.BridgeName))
                    commands.Add(Add("rule", Rule("forward", Match("==", Meta("iifname"), n.BridgeName), Match("==", Meta("oifname"), other.BridgeName), Drop())));
                if (!n.Masquerade)
                {
                    commands.Add(Add("rule", Rule("forward", Match("==", Meta("iifname"), n.BridgeName), Match("!=", Meta("oifname"), n.BridgeName), Drop())));
                    commands.Add(Add("rule", Rule("forward", Match("==", Meta("oifname"), n.BridgeName), Match("!=", Meta("iifname"), n.BridgeName), Drop())));
                }
            }
            foreach (var n in networks)
            {
                // Outbound NAT: what leaves the subnet through another interface takes that interface's address.
                if (n.Masquerade)
                    commands.Add(Add("rule", Rule("postrouting",
                        Match("==", Payload("ip", "saddr"), Prefix(n.Subnet)),
                        Match("!=", Meta("oifname"), n.BridgeName),
                        Masquerade())));
                // Forwarding to and from the bridge is accepted here; a host FORWARD policy of drop elsewhere still wins.
                if (n.Masquerade)
                {
                    commands.Add(Add("rule", Rule("postrouting", Match("==", Meta("oifname"), n.BridgeName), Match("==", Fib("saddr"), "local"), Masquerade())));
                    commands.Add(Add("rule", Rule("postrouting", Match("==", Meta("oifname"), n.BridgeName), Match("==", Payload("ip", "saddr"), Prefix(n.Subnet)),
                        Match("in", new JsonObject { ["ct"] = new JsonObject { ["key"] = "status" } }, "dnat"), Masquerade())));
                }
                commands.Add(Add("rule", Rule("forward", Match("==", Meta("iifname"), n.BridgeName), Accept())));
                commands.Add(Add("rule", Rule("forward", Match("==", Meta("oifname"), n.BridgeName), Accept())));
            }
        }
        AddIpv6(commands, networks, ports);
        return new JsonObject { ["nftables"] = commands };
    }

    /// <summary>The <c>ip6 berth</c> table, present only while a network has IPv6 (so an IPv4-only installation
    /// keeps none, as docker's default bridge is IPv4 only): masquerade of each IPv6 subnet leaving its bridge,
    /// isolation and forwarding as for IPv4, and published ports DNATed to the container's IPv6 address for IPv6
    /// traffic to a local address (docker publishes <c>[::]:PORT</c> too). <c>::1</c> is not covered: IPv6 has no
    /// route_localnet, so a loopback source cannot leave <c>lo</c>.</summary>
    private static void AddIpv6(JsonArray commands, IReadOnlyList<BridgeNetwork> networks, IReadOnlyList<Ports.PortMapping> ports)
    {
        JsonObject T() => new() { ["family"] = "ip6", ["name"] = Table };
        JsonObject R(string chain, params JsonObject[] expr) => new() { ["family"] = "ip6", ["table"] = Table, ["chain"] = chain, ["expr"] = new JsonArray([.. expr]) };
        JsonObject C(string name, string type, string hook, int priority) => new()
        {
            ["family"] = "ip6", ["table"] = Table, ["name"] = name, ["type"] = type, ["hook"] = hook, ["prio"] = priority, ["policy"] = "accept",
        };
        commands.Add(Add("table", T()));
        commands.Add(Command("delete", "table", T()));
        var v6 = networks.Where(n => n.Subnet6 is not null).ToList();
        if (v6.Count == 0) return;
        commands.Add(Add("table", T()));
        commands.Add(Add("chain", C("postrouting", "nat", "postrouting", 100)));
        commands.Add(Add("chain", C("forward", "filter", "forward", 0)));
        commands.Add(Add("chain", C("prerouting", "nat", "prerouting", -100)));
        commands.Add(Add("chain", C("output", "nat", "output", -100)));
        commands.Add(Add("chain", new JsonObject { ["family"] = "ip6", ["table"] = Table, ["name"] = "ports" }));
        commands.Add(Add("rule", R("prerouting", Match("==", Fib("daddr"), "local"), Jump("ports"))));
        commands.Add(Add("rule", R("output", Match("==", Fib("daddr"), "local"), Jump("ports"))));
        foreach (var p in ports)
        {
            if (p.ContainerIp6 is null || (p.HostIp.Length > 0 && !p.HostIp.Contains(':'))) continue;
            var expr = new List<JsonObject>();
            if (p.HostIp.Length > 0) expr.Add(Match("==", Payload("ip6", "daddr"), p.HostIp));
            expr.Add(Match("==", Payload(p.Protocol, "dport"), p.HostPort));
            expr.Add(new JsonObject { ["dnat"] = new JsonObject { ["addr"] = p.ContainerIp6, ["port"] = p.ContainerPort } });
            commands.Add(Add("rule", R("ports", [.. expr])));
        }
        foreach (var n in networks)
        {
            foreach (var other in networks.Where(o => o.BridgeName != n.BridgeName))
                commands.Add(Add("rule", R("forward", Match("==", Meta("iifname"), n.BridgeName), Match("==", Meta("oifname"), other.BridgeName), Drop())));
            if (!n.Masquerade)
            {
                commands.Add(Add("rule", R("forward", Match("==", Meta("iifname"), n.BridgeName), Match("!=", Meta("oifname"), n.BridgeName), Drop())));
                commands.Add(Add("rule", R("forward", Match("==", Meta("oifname"), n.BridgeName), Match("!=", Meta("iifname"), n.BridgeName), Drop())));
            }
        }
        foreach (var n in v6)
        {
            var s = n.Subnet6!.Value;
            var prefix = new JsonObject { ["prefix"] = new JsonObject { ["addr"] = Ipv6Subnet.Format(s.Network), ["len"] = s.PrefixLength } };
            if (n.Masquerade)
            {
                commands.Add(Add("rule", R("postrouting", Match("==", Payload("ip6", "saddr"), prefix), Match("!=", Meta("oifname"), n.BridgeName), Masquerade())));
                commands.Add(Add("rule", R("postrouting", Match("==", Meta("oifname"), n.BridgeName), Match("==", Payload("ip6", "saddr"), prefix.DeepClone()),
                    Match("in", new JsonObject { ["ct"] = new JsonObject { ["key"] = "status" } }, "dnat"), Masquerade())));
            }
            commands.Add(Add("rule", R("forward", Match("==", Meta("iifname"), n.BridgeName), Accept())));
            commands.Add(Add("rule", R("forward", Match("==", Meta("oifname"), n.BridgeName), Accept())));
        }
    }

    private static JsonObject TableRef() => new() { ["family"] = "ip", ["name"] = Table };

    private static JsonNode Add(string kind, JsonObject body) => Command("add", kind, body);

    private static JsonNode Command(string verb, string kind, JsonObject body) => new JsonObject { [verb] = new JsonObject { [kind] = body } };

    private static JsonObject Chain(string name, string type, string hook, int priority) => new()
    {
        ["family"] = "ip", ["table"] = Table, ["name"] = name, ["type"] = type, ["hook"] = hook, ["prio"] = priority, ["policy"] = "accept",
    };

    private static JsonObject Rule(string chain, params JsonObject[] expr) => new()
    {
        ["family"] = "ip", ["table"] = Table, ["chain"] = chain, ["expr"] = new JsonArray([.. expr]),
    };

    private static JsonObject Match(string op, JsonNode left, JsonNode right) => new() { ["match"] = new JsonObject { ["op"] = op, ["left"] = left, ["right"] = right } };

    private static JsonObject Payload(string protocol, string field) => new() { ["payload"] = new JsonObject { ["protocol"] = protocol, ["field"] = field } };

    private static JsonObject Meta(string key) => new() { ["meta"] = new JsonObject { ["key"] = key } };

    private static JsonObject Prefix(Ipv4Subnet s) => new() { ["prefix"] = new JsonObject { ["addr"] = Ipv4Subnet.Format(s.Network), ["len"] = s.PrefixLength } };

    private static JsonObject Accept() => new() { ["accept"] = null };

    private static JsonObject Drop() => new() { ["drop"] = null };

    private static JsonObject Masquerade() => new() { ["masquerade"] = null };

    private static JsonObject Jump(string chain) => new() { ["jump"] = new JsonObject { ["target"] = chain } };

    private static JsonObject Fib(string flag) => new() { ["fib"] = new JsonObject { ["result"] = "type", ["flags"] = new JsonArray(JsonValue.Create(flag)) } };
}
