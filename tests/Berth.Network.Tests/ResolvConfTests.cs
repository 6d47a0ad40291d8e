namespace Berth.Network.Tests;

public sealed class ResolvConfTests
{
    [Fact]
    public void LoopbackNameserversAreDroppedAndGooglesAddedWhenNoneIsLeft()
    {
        // 127.0.0.53 inside the container is the container's own loopback: docker drops it (reference §3.3).
        Assert.Equal("search corp.test\noptions edns0 trust-ad\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
            ResolvConf.ForBridge("nameserver 127.0.0.53\nsearch corp.test\noptions edns0 trust-ad\n"));
        Assert.Equal("nameserver 10.199.0.1\n", ResolvConf.ForBridge("nameserver 127.0.0.53\nnameserver 10.199.0.1\n"));
    }

    [Fact]
    public void AFileWithoutLoopbackServersIsKeptVerbatim()
    {
        // docker copies the host file as is, comment included (reference §1.4).
        const string host = "# host resolv.conf\nnameserver 10.199.0.1\nsearch example.test\noptions timeout:2\n";
        Assert.Equal(host, ResolvConf.ForBridge(host));
    }
}

/// <summary>A user network's resolv.conf, as docker writes it (reference §2.4), with the network's resolver.</summary>
public sealed class UserNetworkResolvConfTests
{
    [Fact]
    public void SearchFirstThenTheResolverThenOptionsWithNdotsZero()
    {
        // The host's comment and nameservers go; search first; ndots:0 added to the host's options.
        Assert.Equal("search example.test\nnameserver 172.18.0.1\noptions timeout:2 ndots:0\n",
            ResolvConf.ForUserNetwork("# comment\nnameserver 10.199.0.1\nsearch example.test\noptions timeout:2\n", "172.18.0.1", [], []));
        Assert.Equal("nameserver 172.18.0.1\noptions ndots:0\n", ResolvConf.ForUserNetwork("nameserver 10.199.0.1\n", "172.18.0.1", [], []));
        Assert.Equal("search corp.test\nnameserver 172.18.0.1\noptions edns0 trust-ad ndots:0\n",
            ResolvConf.ForUserNetwork("nameserver 127.0.0.53\nsearch corp.test\noptions edns0 trust-ad\n", "172.18.0.1", [], []));
    }

    [Fact]
    public void DnsSearchAndDnsOptionReplaceTheHostsAndAUserNdotsWins()
    {
        Assert.Equal("search s.test\nnameserver 172.18.0.1\noptions ndots:3\n",
            ResolvConf.ForUserNetwork("nameserver 10.199.0.1\nsearch example.test\noptions timeout:2\n", "172.18.0.1", ["s.test"], ["ndots:3"]));
    }
}
