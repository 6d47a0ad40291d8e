using System.CommandLine;
using System.Text.Json;
using Berth.Cli.Output;
using Berth.Engine.Containers;
using Berth.Engine.Networks;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary><c>berth network create|ls|inspect|rm|prune|connect|disconnect</c>, as docker's bridge driver.</summary>
internal static class NetworkCommands
{
    public static Command Create()
    {
        var network = new Command("network", "Manage networks");
        network.Subcommands.Add(CreateNetwork());
        network.Subcommands.Add(List());
        network.Subcommands.Add(Inspect());
        network.Subcommands.Add(Remove());
        network.Subcommands.Add(Prune());
        network.Subcommands.Add(Connect());
        network.Subcommands.Add(Disconnect());
        return network;
    }

    private static NetworkService Networks(CliContext ctx) => ctx.Engine.Containers.Networks;

    private static Command With(Command c, Func<CliContext, ParseResult, CancellationToken, int> body)
    {
        CliContext.Bind(body)(c);
        return c;
    }

    private static Dictionary<string, string> Pairs(string[]? items)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in items ?? [])
        {
            var eq = l.IndexOf('=');
            map[eq < 0 ? l : l[..eq]] = eq < 0 ? "" : l[(eq + 1)..];
        }
        return map;
    }

    private static Command CreateNetwork()
    {
        var driver = new Option<string>("--driver", "-d") { Description = "Driver to manage the Network", DefaultValueFactory = _ => "bridge" };
        var subnet = new Option<string[]>("--subnet") { Description = "Subnet in CIDR format that represents a network segment (one IPv4, one IPv6)" };
        var gateway = new Option<string[]>("--gateway") { Description = "IPv4 or IPv6 Gateway for the master subnet" };
        var ipRange = new Option<string[]>("--ip-range") { Description = "Allocate container ip from a sub-range" };
        var ipv6 = new Option<bool>("--ipv6") { Description = "Enable or disable IPv6 networking" };
        var @internal = new Option<bool>("--internal") { Description = "Restrict external access to the network" };
        var attachable = new Option<bool>("--attachable") { Description = "Enable manual container attachment" };
        var label = new Option<string[]>("--label") { Description = "Set metadata on a network" };
        var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options (com.docker.network.bridge.name)" };
        var name = new Argument<string>("NETWORK");
        var c = new Command("create", "Create a network") { driver, subnet, gateway, ipRange, ipv6, @internal, attachable, label, opt, name };
        return With(c, (ctx, p, ct) =>
        {
            var subnets = p.GetValue(subnet) ?? [];
            var row = Networks(ctx).Create(new NetworkCreateRequest
            {
                Name = p.GetValue(name)!, Driver = p.GetValue(driver)!, Subnets = subnets, Gateways = p.GetValue(gateway) ?? [],
                IpRanges = p.GetValue(ipRange) ?? [], EnableIPv6 = p.GetValue(ipv6) || subnets.Any(s => s.Contains(':')),
                Internal = p.GetValue(@internal), Attachable = p.GetValue(attachable), Labels = Pairs(p.GetValue(label)), Options = Pairs(p.GetValue(opt)),
            });
            ctx.Out.WriteLine(row.Id);
            return 0;
        });
    }

    private static Command List()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display network IDs" };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate the output" };
        var c = new Command("ls", "List networks") { quiet, format, noTrunc };
        c.Aliases.Add("list");
        return With(c, (ctx, p, ct) =>
        {
            var rows = Networks(ctx).List(_ => null).Select(n => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
            {
                ["ID"] = p.GetValue(noTrunc) ? n.Id : n.Id[..12], ["Name"] = n.Name, ["Driver"] = n.Driver, ["Scope"] = "local",
            }).ToList();
            RowPrinter.Print(ctx.Out, rows, [new("NETWORK ID", "ID"), new("NAME", "Name"), new("DRIVER", "Driver"), new("SCOPE", "Scope")],
                p.GetValue(format), p.GetValue(quiet), "ID");
            return 0;
        });
    }

    private static Command Inspect()
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template or json" };
        var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("inspect", "Display detailed information on one or more networks") { format, names };
        return With(c, (ctx, p, ct) =>
        {
            var networks = Networks(ctx);
            var containers = ctx.Engine.Containers;
            var list = new List<NetworkInspect>();
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    list.Add(n is "host" or "none" ? networks.InspectBuiltin(n)
                        : networks.Inspect(n == NetworkService.DefaultNetwork ? networks.EnsureDefault() : networks.Get(n),
                            id => ctx.Engine.Store.Metadata.GetContainer(id)?.Name));
                }
                catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
                {
                    ctx.Err.WriteLine($"Error: No such network: {n}");
                    rc = 1;
                }
            }
            var fmt = p.GetValue(format);
            if (string.IsNullOrEmpty(fmt) || fmt == "json")
                ctx.Out.WriteLine(JsonSerializer.Serialize(list, ContainerJsonContext.Indented.ListNetworkInspect));
            else
            {
                var template = GoTemplate.Parse(fmt);
                foreach (var v in list) ctx.Out.WriteLine(template.Execute(JsonSerializer.Serialize(v, ContainerJsonContext.Default.NetworkInspect)));
            }
            return rc;
        });
    }

    private static Command Remove()
    {
        var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("rm", "Remove one or more networks") { names };
        c.Aliases.Add("remove");
        return With(c, (ctx, p, ct) =>
        {
            var networks = Networks(ctx);
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    if (n is "host" or "none") throw new BerthException(ErrorKind.PermissionDenied, $"{n} is a pre-defined network and cannot be removed");
                    networks.Remove(n == NetworkService.DefaultNetwork ? networks.EnsureDefault() : networks.Get(n));
                    ctx.Out.WriteLine(n);
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error response from daemon: {e.Message}");
                    rc = 1;
                }
            }
            return rc;
        });
    }

    private static Command Prune()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var c = new Command("prune", "Remove all unused networks") { force };
        return With(c, (ctx, p, ct) =>
        {
            if (!p.GetValue(force))
            {
                ctx.Out.Write("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
                ctx.Out.Flush();
                if (Console.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            var removed = Networks(ctx).Prune(_ => true);
            if (removed.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Networks:");
                foreach (var n in removed) ctx.Out.WriteLine(n);
                ctx.Out.WriteLine();
            }
            return 0;
        });
    }

    private static Command Connect()
    {
        var alias = new Option<string[]>("--alias") { Description = "Add network-scoped alias for the container" };
        var ip = new Option<string?>("--ip") { Description = "IPv4 address (e.g., \"172.30.100.104\")" };
        var ip6 = new Option<string?>("--ip6") { Description = "IPv6 address (e.g., \"2001:db8::33\")" };
        var network = new Argument<string>("NETWORK");
        var container = new Argument<string>("CONTAINER");
        var c = new Command("connect", "Connect a container to a network") { alias, ip, ip6, network, container };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            return await Daemonish(ctx, () => ctx.Engine.Containers.ConnectNetworkAsync(p.GetValue(network)!, p.GetValue(container)!,
                new EndpointRequest
                {
                    Aliases = p.GetValue(alias) ?? [],
                    IPv4Address = p.GetValue(ip) is { Length: > 0 } v4 ? v4 : null,
                    IPv6Address = p.GetValue(ip6) is { Length: > 0 } v6 ? v6 : null,
                }, ct));
        })(c);
        return c;
    }

    private static Command Disconnect()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force the container to disconnect from a network" };
        var network = new Argument<string>("NETWORK");
        var container = new Argument<string>("CONTAINER");
        var c = new Command("disconnect", "Disconnect a container from a network") { force, network, container };
        CliContext.BindAsync(async (ctx, p, ct) =>
            await Daemonish(ctx, () => ctx.Engine.Containers.DisconnectNetworkAsync(p.GetValue(network)!, p.GetValue(container)!, p.GetValue(force), ct)))(c);
        return c;
    }

    /// <summary>Compat: the docker CLI prints the daemon's refusal of a connect or disconnect as
    /// "Error response from daemon: …" and exits 1, whatever the kind (No such container included).</summary>
    private static async Task<int> Daemonish(CliContext ctx, Func<Task> body)
    {
        try
        {
            await body();
            return 0;
        }
        catch (BerthException e) when (e.Kind != ErrorKind.NotImplemented)
        {
            ctx.Err.WriteLine($"Error response from daemon: {e.Message}");
            return 1;
        }
    }
}
