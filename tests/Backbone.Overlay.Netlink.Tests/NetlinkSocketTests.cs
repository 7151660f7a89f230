using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>The exchange rules, against a scripted kernel: no root, no sockets.</summary>
public sealed class NetlinkSocketTests
{
    [Fact]
    public void EveryRequestAsksForAnAckWithAnIncreasingSequence()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        netlink.SetUp(3);
        netlink.DeleteLink(3);

        Assert.Equal([1u, 2u], kernel.Sent.Select(m => Replies.SequenceOf(m)));
        Assert.All(kernel.Sent, m => Assert.Equal(Rtnl.Flags.Request | Rtnl.Flags.Ack, BitConverter.ToUInt16(m, 6) & (Rtnl.Flags.Request | Rtnl.Flags.Ack)));
    }

    [Fact]
    public void IgnoresAnswersToOtherSequenceNumbers()
    {
        // A late ack for an earlier, abandoned request arrives first, in the same datagram.
        ScriptedTransport kernel = new((_, seq) => [Replies.Concat(Replies.Error(seq - 1, Errno.EEXIST), Replies.Ack(seq + 7)), Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        netlink.SetUp(3); // would throw had it taken the EEXIST for its own
    }

    [Fact]
    public void ReadsAMultipartDumpAcrossDatagramsUntilDone()
    {
        ScriptedTransport kernel = new((_, seq) =>
        [
            Replies.Concat(Replies.Link(seq, 1, "lo"), Replies.Link(seq, 2, "eth0")),
            Replies.Concat(Replies.Link(seq, 3, "vx1", "vxlan", 4097), Replies.Done(seq)),
        ]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        IReadOnlyList<Link> links = netlink.GetLinks();

        Assert.Equal(["lo", "eth0", "vx1"], links.Select(l => l.Name));
        Assert.Equal(4097, links[2].VxlanId);
        Assert.Equal(Rtnl.Flags.Request | Rtnl.Flags.Ack | Rtnl.Flags.Dump, BitConverter.ToUInt16(kernel.Sent[0], 6));
    }

    [Fact]
    public void RedoesADumpTheKernelMarkedInterrupted()
    {
        ushort interrupted = Rtnl.Flags.Multi | Rtnl.Flags.DumpInterrupted;
        ScriptedTransport kernel = new((n, seq) => n == 0
            ? [Replies.Concat(Replies.Link(seq, 1, "lo"), Replies.Link(seq, 2, "half", flags: interrupted), Replies.Done(seq))]
            : [Replies.Concat(Replies.Link(seq, 1, "lo"), Replies.Link(seq, 2, "whole"), Replies.Done(seq))]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        IReadOnlyList<Link> links = netlink.GetLinks();

        Assert.Equal(["lo", "whole"], links.Select(l => l.Name));
        Assert.Equal(2, kernel.Sent.Count);
    }

    [Fact]
    public void GivesUpOnADumpThatIsAlwaysInterrupted()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Concat(Replies.Link(seq, 1, "lo", flags: Rtnl.Flags.Multi | Rtnl.Flags.DumpInterrupted), Replies.Done(seq))]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.GetLinks());

        Assert.Equal(4, e.Errno);
        Assert.Equal(NetlinkSocket.DumpAttemptsMax, kernel.Sent.Count);
    }

    [Fact]
    public void TurnsTheKernelsRefusalIntoANamedException()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Error(seq, Errno.EEXIST)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.CreateBridge("bb1234br", 1450));

        Assert.Equal("netlink: create bridge bb1234br: File exists (EEXIST); hint: the object already exists", e.Message);
    }

    [Fact]
    public void ASilentKernelIsATimeout()
    {
        ScriptedTransport kernel = new((_, _) => []);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.SetMtu(4, 1400));

        Assert.Equal(Errno.ETIMEDOUT, e.Errno);
        Assert.StartsWith("netlink: set mtu 1400 on link 4: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindLinkReturnsNullForNoSuchDevice()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Error(seq, Errno.ENODEV)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        Assert.Null(netlink.FindLink("nothere"));
    }

    [Fact]
    public void TryDeleteLinkCountsALinkAlreadyGoneAsDeletedAndOtherRefusalsAsErrors()
    {
        int refusal = Errno.ENODEV;
        ScriptedTransport kernel = new((_, seq) => [refusal == 0 ? Replies.Ack(seq) : Replies.Error(seq, refusal)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        Assert.False(netlink.TryDeleteLink(9));
        refusal = 0;
        Assert.True(netlink.TryDeleteLink(9));
        refusal = Errno.EPERM;
        Assert.Equal(Errno.EPERM, Assert.Throws<NetlinkException>(() => netlink.TryDeleteLink(9)).Errno);
    }

    [Fact]
    public void FindLinkReadsTheReplyBeforeTheAck()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Link(seq, 6, "br0", "bridge", flags: 0), Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        Assert.Equal(new Link(6, "br0", "bridge", 1450, null, 0, true, null), netlink.FindLink("br0"));
    }

    [Fact]
    public void DisposingTheClientClosesTheTransport()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]);
        new RouteNetlink(new NetlinkSocket(kernel)).Dispose();

        Assert.True(kernel.Disposed);
    }
}
