using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>Networks and their endpoints. An endpoint's address is unique within its network (a UNIQUE constraint),
/// so two concurrent runs never hold the same address even if both computed it: the second insert fails inside its
/// IMMEDIATE transaction, which already serialises the allocation.</summary>
public sealed partial class MetadataStore
{
    private const string NetworkColumns = "id, name, driver, created, subnet, gateway, bridge, internal, options, labels, ip_range, user_subnet, subnet6, gateway6, attachable, user_gateway, user_gateway6";

    partial void MigrateNetworks()
    {
        Write(_ =>
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS networks (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL, created TEXT NOT NULL,
                  subnet TEXT NOT NULL, gateway TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE, internal INTEGER NOT NULL DEFAULT 0,
                  options TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '{}');
                CREATE TABLE IF NOT EXISTS endpoints (
                  network_id TEXT NOT NULL REFERENCES networks(id), container_id TEXT NOT NULL,
                  address TEXT NOT NULL, mac TEXT NOT NULL, host_veth TEXT NOT NULL, ifname TEXT NOT NULL,
                  PRIMARY KEY (network_id, container_id), UNIQUE (network_id, address));
                CREATE INDEX IF NOT EXISTS endpoints_container ON endpoints(container_id);
                CREATE TABLE IF NOT EXISTS ports (
                  container_id TEXT NOT NULL, host_ip TEXT NOT NULL, host_port INTEGER NOT NULL, proto TEXT NOT NULL,
                  container_port INTEGER NOT NULL, container_ip TEXT NOT NULL, bridge TEXT NOT NULL,
                  UNIQUE (host_port, proto));
                CREATE TABLE IF NOT EXISTS network_attachments (
                  container_id TEXT NOT NULL, network_id TEXT NOT NULL, seq INTEGER NOT NULL,
                  aliases TEXT NOT NULL DEFAULT '', ipv4_address TEXT, ipv6_address TEXT, mac_address TEXT,
                  PRIMARY KEY (container_id, network_id));
                CREATE INDEX IF NOT EXISTS network_attachments_network ON network_attachments(network_id);
                """);
            // Schema 5: --ip-range, user-given subnets and IPv6 (columns added to tables an older berth made).
            AddColumnIfMissing("networks", "ip_range", "TEXT");
            AddColumnIfMissing("networks", "user_subnet", "INTEGER NOT NULL DEFAULT 0");
            AddColumnIfMissing("networks", "subnet6", "TEXT");
            AddColumnIfMissing("networks", "gateway6", "TEXT");
            AddColumnIfMissing("endpoints", "address6", "TEXT");
            AddColumnIfMissing("networks", "attachable", "INTEGER NOT NULL DEFAULT 0");
            // Schema 8: whether the gateway was given (--gateway), as docker's IPAM config shows only what was given.
            AddColumnIfMissing("networks", "user_gateway", "INTEGER NOT NULL DEFAULT 0");
            AddColumnIfMissing("networks", "user_gateway6", "INTEGER NOT NULL DEFAULT 0");
            // NULLs are distinct in a UNIQUE index: IPv4-only endpoints never clash.
            Exec("CREATE UNIQUE INDEX IF NOT EXISTS endpoints_address6 ON endpoints(network_id, address6)");
            return 0;
        });
    }

    /// <summary>SQLite's <c>data_version</c>: changes whenever another connection committed, so a long-lived reader
    /// (a network's resolver) knows when to read again.</summary>
    public long DataVersion()
    {
        using var cmd = Cmd("PRAGMA data_version");
        return cmd.ExecuteScalar() is long v ? v : 0;
    }

    /// <summary>ALTER TABLE … ADD COLUMN unless <paramref name="table"/> has <paramref name="column"/> already (a store
    /// made by an older berth has the table without it).</summary>
    private void AddColumnIfMissing(string table, string column, string type)
    {
        using (var cmd = Cmd($"SELECT 1 FROM pragma_table_info('{table}') WHERE name=$c", ("$c", column)))
            if (cmd.ExecuteScalar() is not null) return;
        Exec($"ALTER TABLE {table} ADD COLUMN {column} {type}");
    }

    /// <summary>Adds a network; false when its name is taken.</summary>
    public bool TryAddNetwork(NetworkRow n)
    {
        using (var cmd = Cmd("SELECT 1 FROM networks WHERE name=$n", ("$n", n.Name)))
            if (cmd.ExecuteScalar() is not null) return false;
        Exec($"INSERT INTO networks({NetworkColumns}) VALUES ($id,$n,$d,$c,$s,$g,$b,$i,$o,$l,$r,$u,$s6,$g6,$at,$ug,$ug6)",
            ("$id", n.Id), ("$n", n.Name), ("$d", n.Driver), ("$c", n.Created.ToString("O", CultureInfo.InvariantCulture)), ("$s", n.Subnet),
            ("$g", n.Gateway), ("$b", n.Bridge), ("$i", n.Internal ? 1 : 0), ("$o", n.Options), ("$l", n.Labels), ("$r", n.IpRange),
            ("$u", n.UserSubnet ? 1 : 0), ("$s6", n.Subnet6), ("$g6", n.Gateway6), ("$at", n.Attachable ? 1 : 0),
            ("$ug", n.UserGateway ? 1 : 0), ("$ug6", n.UserGateway6 ? 1 : 0));
        return true;
    }

    public NetworkRow? GetNetworkByName(string name) => QueryNetworks("WHERE name=$a", ("$a", name)).FirstOrDefault();

    public NetworkRow? GetNetwork(string id) => QueryNetworks("WHERE id=$a", ("$a", id)).FirstOrDefault();

    public IReadOnlyList<NetworkRow> ListNetworks() => QueryNetworks("ORDER BY created");

    public bool DeleteNetwork(string id)
    {
        using var cmd = Cmd("DELETE FROM networks WHERE id=$id", ("$id", id));
        return cmd.ExecuteNonQuery() > 0;
    }

    public void AddEndpoint(EndpointRow e) =>
        Exec("INSERT INTO endpoints(network_id, container_id, address, mac, host_veth, ifname, address6) VALUES ($n,$c,$a,$m,$v,$i,$a6)",
            ("$n", e.NetworkId), ("$c", e.ContainerId), ("$a", e.Address), ("$m", e.MacAddress), ("$v", e.HostVeth), ("$i", e.InterfaceName), ("$a6", e.Address6));

    public IReadOnlyList<EndpointRow> EndpointsOfNetwork(string networkId) => QueryEndpoints("WHERE network_id=$a", ("$a", networkId));

    public IReadOnlyList<EndpointRow> EndpointsOfContainer(string containerId) => QueryEndpoints("WHERE container_id=$a", ("$a", containerId));

    public IReadOnlyList<EndpointRow> ListEndpoints() => QueryEndpoints("");

    /// <summary>Releases a container's addresses; how many endpoints there were.</summary>
    public int DeleteEndpoints(string containerId)
    {
        using var cmd = Cmd("DELETE FROM endpoints WHERE container_id=$c", ("$c", containerId));
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Records that a container is connected to a network (at create, or <c>network connect</c>); false when
    /// it is already. Its <see cref="AttachmentRow.Seq"/> comes after every other attachment of the container.</summary>
    public bool TryAddAttachment(AttachmentRow a)
    {
        using (var cmd = Cmd("SELECT 1 FROM network_attachments WHERE container_id=$c AND network_id=$n", ("$c", a.ContainerId), ("$n", a.NetworkId)))
            if (cmd.ExecuteScalar() is not null) return false;
        Exec("""
            INSERT INTO network_attachments(container_id, network_id, seq, aliases, ipv4_address, ipv6_address, mac_address)
            VALUES ($c, $n, (SELECT COALESCE(MAX(seq), -1) + 1 FROM network_attachments WHERE container_id=$c), $a, $v4, $v6, $m)
            """,
            ("$c", a.ContainerId), ("$n", a.NetworkId), ("$a", string.Join('\n', a.Aliases)), ("$v4", a.IPv4Address), ("$v6", a.IPv6Address), ("$m", a.MacAddress));
        return true;
    }

    /// <summary>A container's networks, in the order it was connected to them.</summary>
    public IReadOnlyList<AttachmentRow> AttachmentsOfContainer(string containerId) => QueryAttachments("WHERE container_id=$a ORDER BY seq", ("$a", containerId));

    /// <summary>The containers connected to a network, running or not.</summary>
    public IReadOnlyList<AttachmentRow> AttachmentsOfNetwork(string networkId) => QueryAttachments("WHERE network_id=$a ORDER BY container_id, seq", ("$a", networkId));

    /// <summary>Disconnects a container from one network (<paramref name="networkId"/>) or from all (null).</summary>
    public int DeleteAttachments(string containerId, string? networkId)
    {
        using var cmd = networkId is null
            ? Cmd("DELETE FROM network_attachments WHERE container_id=$c", ("$c", containerId))
            : Cmd("DELETE FROM network_attachments WHERE container_id=$c AND network_id=$n", ("$c", containerId), ("$n", networkId));
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Releases one endpoint of a container (a <c>network disconnect</c> while it runs).</summary>
    public int DeleteEndpoint(string containerId, string networkId)
    {
        using var cmd = Cmd("DELETE FROM endpoints WHERE container_id=$c AND network_id=$n", ("$c", containerId), ("$n", networkId));
        return cmd.ExecuteNonQuery();
    }

    private List<AttachmentRow> QueryAttachments(string where, params (string, object?)[] args)
    {
        var list = new List<AttachmentRow>();
        using var cmd = Cmd($"SELECT container_id, network_id, seq, aliases, ipv4_address, ipv6_address, mac_address FROM network_attachments {where}", args);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new AttachmentRow
            {
                ContainerId = r.GetString(0), NetworkId = r.GetString(1), Seq = r.GetInt32(2),
                Aliases = r.GetString(3).Split('\n', StringSplitOptions.RemoveEmptyEntries),
                IPv4Address = r.IsDBNull(4) ? null : r.GetString(4), IPv6Address = r.IsDBNull(5) ? null : r.GetString(5),
                MacAddress = r.IsDBNull(6) ? null : r.GetString(6),
            });
        return list;
    }

    /// <summary>Records a published port; false when another container holds that host port and protocol.</summary>
    public bool TryAddPort(PortRow p)
    {
        using (var cmd = Cmd("SELECT 1 FROM ports WHERE host_port=$hp AND proto=$pr", ("$hp", p.HostPort), ("$pr", p.Protocol)))
            if (cmd.ExecuteScalar() is not null) return false;
        Exec("INSERT INTO ports(container_id, host_ip, host_port, proto, container_port, container_ip, bridge) VALUES ($c,$hi,$hp,$pr,$cp,$ci,$b)",
            ("$c", p.ContainerId), ("$hi", p.HostIp), ("$hp", p.HostPort), ("$pr", p.Protocol), ("$cp", p.ContainerPort), ("$ci", p.ContainerIp), ("$b", p.Bridge));
        return true;
    }

    public IReadOnlyList<PortRow> ListPorts() => QueryPorts("ORDER BY rowid");

    public IReadOnlyList<PortRow> PortsOfContainer(string containerId) => QueryPorts("WHERE container_id=$a ORDER BY rowid", ("$a", containerId));

    public int DeletePorts(string containerId)
    {
        using var cmd = Cmd("DELETE FROM ports WHERE container_id=$c", ("$c", containerId));
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Releases the host ports published on one address of a container.</summary>
    public int DeletePorts(string containerId, string containerIp)
    {
        using var cmd = Cmd("DELETE FROM ports WHERE container_id=$c AND container_ip=$i", ("$c", containerId), ("$i", containerIp));
        return cmd.ExecuteNonQuery();
    }

    private List<PortRow> QueryPorts(string where, params (string, object?)[] args)
    {
        var list = new List<PortRow>();
        using var cmd = Cmd($"SELECT container_id, host_ip, host_port, proto, container_port, container_ip, bridge FROM ports {where}", args);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new PortRow
            {
                ContainerId = r.GetString(0), HostIp = r.GetString(1), HostPort = r.GetInt32(2), Protocol = r.GetString(3),
                ContainerPort = r.GetInt32(4), ContainerIp = r.GetString(5), Bridge = r.GetString(6),
            });
        return list;
    }

    private List<NetworkRow> QueryNetworks(string where, params (string, object?)[] args)
    {
        var list = new List<NetworkRow>();
        using var cmd = Cmd($"SELECT {NetworkColumns} FROM networks {where}", args);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new NetworkRow
            {
                Id = r.GetString(0), Name = r.GetString(1), Driver = r.GetString(2),
                Created = DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture), Subnet = r.GetString(4),
                Gateway = r.GetString(5), Bridge = r.GetString(6), Internal = r.GetInt64(7) != 0, Options = r.GetString(8), Labels = r.GetString(9),
                IpRange = r.IsDBNull(10) ? null : r.GetString(10), UserSubnet = r.GetInt64(11) != 0,
                Subnet6 = r.IsDBNull(12) ? null : r.GetString(12), Gateway6 = r.IsDBNull(13) ? null : r.GetString(13),
                Attachable = r.GetInt64(14) != 0,
                UserGateway = r.GetInt64(15) != 0, UserGateway6 = r.GetInt64(16) != 0,
            });
        return list;
    }

    private List<EndpointRow> QueryEndpoints(string where, params (string, object?)[] args)
    {
        var list = new List<EndpointRow>();
        using var cmd = Cmd($"SELECT network_id, container_id, address, mac, host_veth, ifname, address6 FROM endpoints {where}", args);
        using SqliteDataReader r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new EndpointRow
            {
                NetworkId = r.GetString(0), ContainerId = r.GetString(1), Address = r.GetString(2), MacAddress = r.GetString(3),
                HostVeth = r.GetString(4), InterfaceName = r.GetString(5), Address6 = r.IsDBNull(6) ? null : r.GetString(6),
            });
        return list;
    }
}
