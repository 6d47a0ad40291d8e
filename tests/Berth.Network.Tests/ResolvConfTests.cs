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
