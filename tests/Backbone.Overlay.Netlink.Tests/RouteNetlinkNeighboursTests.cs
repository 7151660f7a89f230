using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>Neighbour requests on the wire and their answers, against a scripted kernel.</summary>
public sealed class RouteNetlinkNeighboursTests
{
    private const ushort RequestAck = Rtnl.Flags.Request | Rtnl.Flags.Ack;
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-42-0A-4A-00-05");

    [Fact]
    public void AddAndReplaceSendAPermanentEntryAndDifferOnlyInFlags()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        netlink.AddNeighbour(7, IPAddress.Parse("10.74.0.5"), Mac);
        netlink.ReplaceNeighbour(7, IPAddress.Parse("10.74.0.5"), Mac);

        SentRequest<NdMsg> add = Requests.Parse<NdMsg>(kernel.Sent[0]);
        SentRequest<NdMsg> replace = Requests.Parse<NdMsg>(kernel.Sent[1]);
        Assert.Equal((Rtnl.Message.NewNeighbour, RequestAck | Rtnl.Flags.Create | Rtnl.Flags.Excl), (add.Type, add.Flags));
        Assert.Equal((Rtnl.Message.NewNeighbour, RequestAck | Rtnl.Flags.Create | Rtnl.Flags.Replace), (replace.Type, replace.Flags));
        foreach (SentRequest<NdMsg> sent in new[] { add, replace })
        {
            Assert.Equal(new NdMsg { Family = Rtnl.AfInet, Index = 7, State = Rtnl.Neighbour.StatePermanent }, sent.Fixed);
            Assert.Equal([Rtnl.Neighbour.Destination, Rtnl.Neighbour.LinkLayerAddress], sent.Attributes.Keys.Order());
            Assert.Equal(new byte[] { 10, 74, 0, 5 }, sent.Attributes[Rtnl.Neighbour.Destination]);
            Assert.Equal(Mac.GetAddressBytes(), sent.Attributes[Rtnl.Neighbour.LinkLayerAddress]);
        }
    }

    [Fact]
    public void AnIPv6NeighbourIsAnInet6Entry()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        netlink.ReplaceNeighbour(7, IPAddress.Parse("fd00::5"), Mac);

        SentRequest<NdMsg> sent = Requests.Parse<NdMsg>(kernel.Sent[0]);
        Assert.Equal(Rtnl.AfInet6, sent.Fixed.Family);
        Assert.Equal(IPAddress.Parse("fd00::5").GetAddressBytes(), sent.Attributes[Rtnl.Neighbour.Destination]);
    }

    [Fact]
    public void AddingAnExistingNeighbourPointsAtReplace()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Error(seq, Errno.EEXIST)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.AddNeighbour(7, IPAddress.Parse("10.74.0.5"), Mac));

        Assert.Equal(
            "netlink: add neighbour 10.74.0.5 lladdr 02:42:0a:4a:00:05 on link 7: File exists (EEXIST); hint: an entry for this address exists on the link; ReplaceNeighbour overwrites it",
            e.Message);
    }

    [Fact]
    public void DeleteSendsTheAddressAloneAndReportsWhetherThereWasAnEntry()
    {
        ScriptedTransport kernel = new((n, seq) => [n == 0 ? Replies.Ack(seq) : Replies.Error(seq, Errno.ENOENT)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        Assert.True(netlink.DeleteNeighbour(7, IPAddress.Parse("10.74.0.5")));
        Assert.False(netlink.DeleteNeighbour(7, IPAddress.Parse("10.74.0.5")));

        SentRequest<NdMsg> sent = Requests.Parse<NdMsg>(kernel.Sent[0]);
        Assert.Equal((Rtnl.Message.DeleteNeighbour, RequestAck), (sent.Type, sent.Flags));
        Assert.Equal(new NdMsg { Family = Rtnl.AfInet, Index = 7 }, sent.Fixed);
        Assert.Equal([Rtnl.Neighbour.Destination], sent.Attributes.Keys);
    }

    [Fact]
    public void DeletingOnAMissingLinkStillThrows()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Error(seq, Errno.ENODEV)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.DeleteNeighbour(42, IPAddress.Parse("10.74.0.5")));

        Assert.Equal(("delete neighbour", "10.74.0.5 on link 42", Errno.ENODEV), (e.Operation, e.Target, e.Errno));
    }

    [Fact]
    public void ADumpOfOneLinkAsksTheKernelToFilterAndFiltersAgain()
    {
        // As a kernel without the NDA_IFINDEX filter would answer: every link, and an AF_BRIDGE entry besides.
        ScriptedTransport kernel = new((_, seq) =>
        [
            Replies.Concat(
                Replies.Neighbour(seq, Rtnl.AfInet, 7, 0x80, 0, "10.74.0.5", "02:42:0a:4a:00:05"),
                Replies.Neighbour(seq, Rtnl.AfInet, 3, 0x02, 0, "192.0.2.1", "52:54:00:00:00:01"),
                Replies.Neighbour(seq, Rtnl.AfBridge, 7, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.77", "02:42:0a:4a:00:05")),
            Replies.Concat(
                Replies.Neighbour(seq, Rtnl.AfInet6, 7, 0x01, 0, "fd00::9", null),
                Replies.Done(seq)),
        ]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        IReadOnlyList<Neighbour> found = netlink.GetNeighbours(7);

        Assert.Equal(
            [
                new Neighbour(7, IPAddress.Parse("10.74.0.5"), Mac, NeighbourState.Permanent, NeighbourFlags.None),
                new Neighbour(7, IPAddress.Parse("fd00::9"), null, NeighbourState.Incomplete, NeighbourFlags.None),
            ],
            found);
        SentRequest<NdMsg> sent = Requests.Parse<NdMsg>(kernel.Sent[0]);
        Assert.Equal((Rtnl.Message.GetNeighbour, RequestAck | Rtnl.Flags.Dump), (sent.Type, sent.Flags));
        Assert.Equal(new NdMsg { Family = Rtnl.AfUnspec }, sent.Fixed);
        Assert.Equal(new byte[] { 7, 0, 0, 0 }, sent.Attributes[Rtnl.Neighbour.IfIndex]);
    }

    [Fact]
    public void ADumpOfTheNamespaceKeepsEveryLinkButNoFdbEntries()
    {
        ScriptedTransport kernel = new((_, seq) =>
        [
            Replies.Concat(
                Replies.Neighbour(seq, Rtnl.AfInet, 7, 0x80, 0, "10.74.0.5", "02:42:0a:4a:00:05"),
                Replies.Neighbour(seq, Rtnl.AfBridge, 7, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.77", "02:42:0a:4a:00:05"),
                Replies.Neighbour(seq, Rtnl.AfInet, 3, 0x04, 0x80, "192.0.2.1", "52:54:00:00:00:01"),
                Replies.Done(seq)),
        ]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        IReadOnlyList<Neighbour> found = netlink.GetNeighbours();

        Assert.Equal([(7, "10.74.0.5"), (3, "192.0.2.1")], found.Select(n => (n.LinkIndex, n.Address.ToString())));
        Assert.Equal((NeighbourState.Stale, NeighbourFlags.Router), (found[1].State, found[1].Flags));
        Assert.Empty(Requests.Parse<NdMsg>(kernel.Sent[0]).Attributes);
    }
}
