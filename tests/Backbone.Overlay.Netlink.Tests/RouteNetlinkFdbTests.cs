using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>FDB requests on the wire and their answers, against a scripted kernel.</summary>
public sealed class RouteNetlinkFdbTests
{
    private const ushort RequestAck = Rtnl.Flags.Request | Rtnl.Flags.Ack;
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-42-0A-4A-00-05");
    private static readonly IPAddress Remote = IPAddress.Parse("192.0.2.77");

    [Fact]
    public void AddAndReplaceSendAPermanentSelfEntryAndDifferOnlyInFlags()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        netlink.AddFdb(7, Mac, Remote);
        netlink.ReplaceFdb(7, Mac, Remote);

        SentRequest<NdMsg> add = Requests.Parse<NdMsg>(kernel.Sent[0]);
        SentRequest<NdMsg> replace = Requests.Parse<NdMsg>(kernel.Sent[1]);
        Assert.Equal((Rtnl.Message.NewNeighbour, RequestAck | Rtnl.Flags.Create | Rtnl.Flags.Excl), (add.Type, add.Flags));
        Assert.Equal((Rtnl.Message.NewNeighbour, RequestAck | Rtnl.Flags.Create | Rtnl.Flags.Replace), (replace.Type, replace.Flags));
        foreach (SentRequest<NdMsg> sent in new[] { add, replace })
        {
            Assert.Equal(new NdMsg { Family = Rtnl.AfBridge, Index = 7, State = Rtnl.Neighbour.StatePermanent, Flags = Rtnl.Neighbour.FlagSelf }, sent.Fixed);
            Assert.Equal([Rtnl.Neighbour.Destination, Rtnl.Neighbour.LinkLayerAddress], sent.Attributes.Keys.Order());
            Assert.Equal(Mac.GetAddressBytes(), sent.Attributes[Rtnl.Neighbour.LinkLayerAddress]);
            Assert.Equal(new byte[] { 192, 0, 2, 77 }, sent.Attributes[Rtnl.Neighbour.Destination]);
        }
    }

    [Fact]
    public void DeleteSendsTheMacAndTheRemoteOnlyWhenGiven()
    {
        ScriptedTransport kernel = new((n, seq) => [n < 2 ? Replies.Ack(seq) : Replies.Error(seq, Errno.ENOENT)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        Assert.True(netlink.DeleteFdb(7, Mac, Remote));
        Assert.True(netlink.DeleteFdb(7, Mac));
        Assert.False(netlink.DeleteFdb(7, Mac));

        SentRequest<NdMsg> withRemote = Requests.Parse<NdMsg>(kernel.Sent[0]);
        SentRequest<NdMsg> whole = Requests.Parse<NdMsg>(kernel.Sent[1]);
        Assert.Equal((Rtnl.Message.DeleteNeighbour, RequestAck), (withRemote.Type, withRemote.Flags));
        Assert.Equal(new NdMsg { Family = Rtnl.AfBridge, Index = 7, Flags = Rtnl.Neighbour.FlagSelf }, whole.Fixed);
        Assert.Equal([Rtnl.Neighbour.Destination, Rtnl.Neighbour.LinkLayerAddress], withRemote.Attributes.Keys.Order());
        Assert.Equal([Rtnl.Neighbour.LinkLayerAddress], whole.Attributes.Keys);
    }

    [Fact]
    public void TheDumpTakesAnIfinfomsgNamingThePortAndKeepsOnlyItsEntries()
    {
        // As a kernel that ignored the filter would answer: another port's entry, and an ARP entry.
        ScriptedTransport kernel = new((_, seq) =>
        [
            Replies.Concat(
                Replies.Neighbour(seq, Rtnl.AfBridge, 7, 0x80, 0, null, "3a:41:9b:9b:46:6d"), // the bridge's own entry for its port
                Replies.Neighbour(seq, Rtnl.AfBridge, 7, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.77", "02:42:0a:4a:00:05"),
                Replies.Neighbour(seq, Rtnl.AfBridge, 8, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.78", "02:42:0a:4a:00:06"),
                Replies.Neighbour(seq, Rtnl.AfInet, 7, 0x80, 0, "10.74.0.5", "02:42:0a:4a:00:05"),
                Replies.Done(seq)),
        ]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        IReadOnlyList<FdbEntry> found = netlink.GetFdb(7);

        Assert.Equal(
            [
                new FdbEntry(7, PhysicalAddress.Parse("3A-41-9B-9B-46-6D"), null, NeighbourState.Permanent, NeighbourFlags.None),
                new FdbEntry(7, Mac, Remote, NeighbourState.Permanent, NeighbourFlags.Self),
            ],
            found);
        SentRequest<IfInfoMsg> sent = Requests.Parse<IfInfoMsg>(kernel.Sent[0]);
        Assert.Equal((Rtnl.Message.GetNeighbour, RequestAck | Rtnl.Flags.Dump), (sent.Type, sent.Flags));
        Assert.Equal(NetlinkHeader.Size + 16, kernel.Sent[0].Length); // 16: an ifinfomsg; a bare 12-byte ndmsg would not be filtered
        Assert.Equal(new IfInfoMsg { Family = Rtnl.AfBridge, Index = 7 }, sent.Fixed);
    }

    [Theory]
    [InlineData(Errno.EEXIST, "add", "an entry for this MAC exists on the device; ReplaceFdb points it at the new remote")]
    [InlineData(Errno.EAFNOSUPPORT, "add", "the remote is not of the vxlan device's address family (its local address's)")]
    [InlineData(Errno.EOPNOTSUPP, "replace", "the kernel replaces unicast MACs only (the all-zeros and multicast entries hold several remotes)")]
    [InlineData(Errno.EAFNOSUPPORT, "replace", "the remote is not of the vxlan device's address family (its local address's)")]
    public void RefusalsNameTheEntryAndExplainTheVxlanDriversReasons(int errno, string verb, string hint)
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Error(seq, errno)]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() =>
        {
            if (verb == "add")
            {
                netlink.AddFdb(7, Mac, Remote);
            }
            else
            {
                netlink.ReplaceFdb(7, Mac, Remote);
            }
        });

        Assert.Equal((errno, $"{verb} fdb entry", "02:42:0a:4a:00:05 dst 192.0.2.77 on link 7"), (e.Errno, e.Operation, e.Target));
        Assert.EndsWith($"; hint: {hint}", e.Message, StringComparison.Ordinal);
    }
}
