using System.Net;
using Backbone.Overlay.Netlink.Tests.Fakes;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>Bad arguments fail before anything reaches the kernel, with a message that says what is wrong.</summary>
public sealed class ArgumentTests
{
    private readonly ScriptedTransport _kernel = new((_, seq) => [Replies.Ack(seq)]);

    [Theory]
    [InlineData("sixteen-chars-xx")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("..")]
    public void RejectsLinkNamesTheKernelWould(string name)
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        Assert.Throws<ArgumentException>(() => netlink.CreateBridge(name, 1500));
        Assert.Empty(_kernel.Sent);
    }

    [Fact]
    public void AcceptsFifteenByteLinkNames()
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        netlink.CreateBridge("fifteen-chars-x", 1500);

        Assert.Single(_kernel.Sent);
    }

    [Fact]
    public void RejectsOutOfRangeNumbers()
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.CreateVxlan("vx", 1 << 24, IPAddress.Loopback, 4789, 1450));
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.CreateVxlan("vx", 42, IPAddress.Loopback, 65536, 1450));
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.AddAddress(2, IPAddress.Parse("10.0.0.1"), 33));
        Assert.Throws<ArgumentException>(() => netlink.AddRoute(null, 8, null, 2));
        Assert.Throws<ArgumentException>(() => netlink.AddRoute(IPAddress.Parse("10.0.0.0"), 8, IPAddress.Parse("fd00::1"), 2));
        Assert.Empty(_kernel.Sent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData(".")]
    public void RejectsNamespaceNamesThatAreNotOnePathComponent(string name)
    {
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Exists(name));
    }
}
