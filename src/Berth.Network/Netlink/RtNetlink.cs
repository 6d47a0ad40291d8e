using System.Buffers.Binary;
using System.Net;
using System.Text;
using static Berth.Network.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Network.Netlink;

/// <summary>The rtnetlink requests berth makes, one method each, with rtnetlink(7)'s constants: links (bridge, veth
/// pair with its peer created straight in another namespace), addresses, routes.
/// https://man7.org/linux/man-pages/man7/rtnetlink.7.html, include/uapi/linux/if_link.h.</summary>
internal sealed class RtNetlink(NetlinkSocket socket) : IDisposable
{
    private const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_NEWROUTE = 24, RTM_DELROUTE = 25;
    private const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
    private const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
    private const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
    private const ushort RTA_GATEWAY = 5, RTA_OIF = 4;
    private const uint IFF_UP = 1;
    private const byte AF_INET = 2, AF_INET6 = 10;
    private const ushort IFA_FLAGS = 8;
    private const uint IFA_F_NODAD = 0x02;

    public static RtNetlink Open() => new(NetlinkSocket.Open());

    public static RtNetlink OpenIn(string netnsPath) => new(NetlinkSocket.OpenIn(netnsPath));

    /// <summary>The index of link <paramref name="name"/>, or null when there is none.</summary>
    public int? LinkIndex(string name)
    {
        var replies = socket.Query(new NetlinkMessage(RTM_GETLINK, NetlinkMessage.NLM_F_REQUEST).IfInfo(0).Attr(IFLA_IFNAME, name),
            $"RTM_GETLINK {name}", dump: false, ENODEV);
        return replies.Count == 0 ? null : BinaryPrimitives.ReadInt32LittleEndian(replies[0].AsSpan(4));
    }

    /// <summary>Every link's name, from a dump.</summary>
    public IReadOnlyList<string> LinkNames()
    {
        var replies = socket.Query(new NetlinkMessage(RTM_GETLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ROOT | NetlinkMessage.NLM_F_MATCH).IfInfo(0), "RTM_GETLINK dump", dump: true);
        var names = new List<string>();
        foreach (var r in replies)
            foreach (var (type, value) in Attributes(r.AsSpan(16)))
                if (type == IFLA_IFNAME) names.Add(Encoding.UTF8.GetString(value).TrimEnd('\0'));
        return names;
    }

    /// <summary>Creates bridge <paramref name="name"/> unless it exists; true when this call made it.</summary>
    public bool AddBridge(string name, byte[] mac, int mtu)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL)
            .IfInfo(0).Attr(IFLA_IFNAME, name).Attr(IFLA_ADDRESS, mac).Attr(IFLA_MTU, (uint)mtu)
            .BeginNest(IFLA_LINKINFO).Attr(IFLA_INFO_KIND, "bridge").EndNest();
        return socket.Request(m, $"create bridge {name}", EEXIST) == 0;
    }

    /// <summary>Creates the veth pair <paramref name="hostName"/> (here, enslaved to <paramref name="masterIndex"/>)
    /// and <paramref name="peerName"/>, the peer made directly inside the namespace open at
    /// <paramref name="peerNetnsFd"/> with <paramref name="peerMac"/>; the host end up. One request instead of three:
    /// rtnetlink applies IFLA_MASTER and the ifinfomsg flags as it creates the link (what <c>ip link add … master B
    /// up</c> sends). The peer cannot be brought up in the same request: veth opens it before the pair is linked,
    /// and veth_open then fails with ENOTCONN.</summary>
    public void AddVethPair(string hostName, string peerName, int peerNetnsFd, byte[] peerMac, int mtu, int masterIndex)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL)
            .IfInfo(0, IFF_UP, IFF_UP).Attr(IFLA_IFNAME, hostName).Attr(IFLA_MTU, (uint)mtu).Attr(IFLA_MASTER, (uint)masterIndex)
            .BeginNest(IFLA_LINKINFO).Attr(IFLA_INFO_KIND, "veth")
            .BeginNest(IFLA_INFO_DATA).BeginNest(VETH_INFO_PEER)
            .IfInfo(0).Attr(IFLA_IFNAME, peerName).Attr(IFLA_ADDRESS, peerMac).Attr(IFLA_MTU, (uint)mtu).Attr(IFLA_NET_NS_FD, (uint)peerNetnsFd)
            .EndNest().EndNest().EndNest();
        socket.Request(m, $"create veth pair {hostName}/{peerName}");
    }

    /// <summary>Hairpin mode on a bridge port: a frame may leave by the port it came in, so a container reaches
    /// itself through a published port (IFLA_PROTINFO/IFLA_BRPORT_MODE with family AF_BRIDGE).</summary>
    public void SetHairpin(int index)
    {
        const ushort IFLA_PROTINFO = 12, IFLA_BRPORT_MODE = 4, NLA_F_NESTED = 0x8000;
        const ushort RTM_SETLINK = 19; // AF_BRIDGE port options go through the bridge's setlink (br_setlink), not newlink.
        var m = new NetlinkMessage(RTM_SETLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK).IfInfo(index, family: 7)
            .BeginNest(IFLA_PROTINFO | NLA_F_NESTED).Attr(IFLA_BRPORT_MODE, [1]).EndNest();
        socket.Request(m, $"set hairpin mode on link {index}");
    }

    /// <summary>Takes bridge port <paramref name="index"/> out of service at once: state disabled (the bridge neither
    /// forwards to it nor learns from it) and its learned addresses flushed (their frames are flooded to the other
    /// ports again). Neither waits for an RCU grace period, as deleting the link does; false when the link is gone.</summary>
    public bool DisablePort(int index)
    {
        const ushort IFLA_PROTINFO = 12, IFLA_BRPORT_STATE = 1, IFLA_BRPORT_FLUSH = 24, NLA_F_NESTED = 0x8000, RTM_SETLINK = 19;
        const byte BR_STATE_DISABLED = 0;
        var m = new NetlinkMessage(RTM_SETLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK).IfInfo(index, family: 7)
            .BeginNest(IFLA_PROTINFO | NLA_F_NESTED).Attr(IFLA_BRPORT_STATE, [BR_STATE_DISABLED]).Attr(IFLA_BRPORT_FLUSH, []).EndNest();
        return socket.Request(m, $"disable bridge port {index}", ENODEV) == 0;
    }

    public void SetUp(int index) =>
        socket.Request(new NetlinkMessage(RTM_NEWLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK).IfInfo(index, IFF_UP, IFF_UP), $"set link {index} up");

    /// <summary>Deletes link <paramref name="name"/>; false when it was not there.</summary>
    public bool DeleteLink(string name) =>
        socket.Request(new NetlinkMessage(RTM_DELLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK).IfInfo(0).Attr(IFLA_IFNAME, name),
            $"delete link {name}", ENODEV) == 0;

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefix"/> (with its broadcast address) to a link;
    /// an address already there is kept.</summary>
    public void AddAddress(int index, IPAddress address, int prefix, IPAddress broadcast)
    {
        Span<byte> header = stackalloc byte[8];
        header[0] = AF_INET;
        header[1] = (byte)prefix;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], index);
        var m = new NetlinkMessage(RTM_NEWADDR, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL)
            .Raw(header).Attr(IFA_LOCAL, address.GetAddressBytes()).Attr(IFA_ADDRESS, address.GetAddressBytes()).Attr(IFA_BROADCAST, broadcast.GetAddressBytes());
        socket.Request(m, $"add address {address}/{prefix} to link {index}", EEXIST);
    }

    /// <summary>Adds the IPv6 <paramref name="address"/>/<paramref name="prefix"/> to a link without duplicate address
    /// detection (IFA_F_NODAD, as docker's libnetwork): the address is berth's to hand out, and DAD would keep it
    /// "tentative", unusable, for a second after the container's command has started.</summary>
    public void AddAddress6(int index, IPAddress address, int prefix)
    {
        Span<byte> header = stackalloc byte[8];
        header[0] = AF_INET6;
        header[1] = (byte)prefix;
        header[2] = (byte)IFA_F_NODAD;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], index);
        var m = new NetlinkMessage(RTM_NEWADDR, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL)
            .Raw(header).Attr(IFA_ADDRESS, address.GetAddressBytes()).Attr(IFA_FLAGS, IFA_F_NODAD);
        socket.Request(m, $"add address {address}/{prefix} to link {index}", EEXIST);
    }

    /// <summary>Adds the default route via <paramref name="gateway"/> (IPv4 or IPv6) on link <paramref name="index"/>
    /// (main table).</summary>
    public void AddDefaultRoute(int index, IPAddress gateway)
    {
        Span<byte> rtmsg = stackalloc byte[12];
        rtmsg[0] = gateway.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AF_INET6 : AF_INET;
        rtmsg[4] = 254; // RT_TABLE_MAIN
        rtmsg[5] = 3;   // RTPROT_BOOT, as `ip route add`
        rtmsg[6] = 0;   // RT_SCOPE_UNIVERSE
        rtmsg[7] = 1;   // RTN_UNICAST
        var m = new NetlinkMessage(RTM_NEWROUTE, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL)
            .Raw(rtmsg).Attr(RTA_GATEWAY, gateway.GetAddressBytes()).Attr(RTA_OIF, (uint)index);
        socket.Request(m, $"add default route via {gateway}");
    }

    /// <summary>Makes the default route go via <paramref name="gateway"/> on link <paramref name="index"/>, replacing
    /// the one there (a container's gateway network changed: <c>network connect</c>/<c>disconnect</c>).</summary>
    public void ReplaceDefaultRoute(int index, IPAddress gateway)
    {
        Span<byte> rtmsg = stackalloc byte[12];
        rtmsg[0] = AF_INET;
        rtmsg[4] = 254; // RT_TABLE_MAIN
        rtmsg[5] = 3;   // RTPROT_BOOT
        rtmsg[6] = 0;   // RT_SCOPE_UNIVERSE
        rtmsg[7] = 1;   // RTN_UNICAST
        var m = new NetlinkMessage(RTM_NEWROUTE, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | NetlinkMessage.NLM_F_CREATE | NLM_F_REPLACE)
            .Raw(rtmsg).Attr(RTA_GATEWAY, gateway.GetAddressBytes()).Attr(RTA_OIF, (uint)index);
        socket.Request(m, $"replace default route via {gateway}");
    }

    /// <summary>Deletes the default route of the main table; false when there was none.</summary>
    public bool DeleteDefaultRoute()
    {
        Span<byte> rtmsg = stackalloc byte[12];
        rtmsg[0] = AF_INET;
        rtmsg[4] = 254; // RT_TABLE_MAIN
        rtmsg[6] = 0;   // RT_SCOPE_UNIVERSE (RTM_DELROUTE matches on destination 0/0)
        var m = new NetlinkMessage(RTM_DELROUTE, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK).Raw(rtmsg);
        return socket.Request(m, "delete default route", ESRCH) == 0;
    }

    private const ushort NLM_F_REPLACE = 0x100;

    private static List<(ushort Type, byte[] Value)> Attributes(ReadOnlySpan<byte> data)
    {
        var list = new List<(ushort, byte[])>();
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(data[(offset + 2)..]);
            if (len < 4 || offset + len > data.Length) break;
            list.Add(((ushort)(type & 0x3fff), data.Slice(offset + 4, len - 4).ToArray()));
            offset += (len + 3) & ~3;
        }
        return list;
    }

    public void Dispose() => socket.Dispose();
}
