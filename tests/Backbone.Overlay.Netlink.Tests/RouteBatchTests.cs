using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>Batched changes against a scripted kernel: how they are packed, matched to their acks and reported.</summary>
public sealed class RouteBatchTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void ABatchGoesAsOneDatagramWithAnAckPerRequest()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]) { AnswerEveryMessage = true };
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));
        RouteBatch batch = netlink.Batch()
            .ReplaceFdb(7, Mac(1), Remote)
            .ReplaceNeighbour(7, IPAddress.Parse("10.0.0.1"), Mac(1))
            .DeleteNeighbour(7, IPAddress.Parse("10.0.0.2"))
            .DeleteFdb(7, Mac(2));

        Assert.Empty(batch.Commit());

        byte[] datagram = Assert.Single(kernel.Sent);
        List<(ushort Type, uint Sequence, ushort Flags)> messages = Headers(datagram);
        Assert.Equal([Rtnl.Message.NewNeighbour, Rtnl.Message.NewNeighbour, Rtnl.Message.DeleteNeighbour, Rtnl.Message.DeleteNeighbour], messages.Select(m => m.Type));
        Assert.Equal([1u, 2u, 3u, 4u], messages.Select(m => m.Sequence));
        Assert.All(messages, m => Assert.Equal(Rtnl.Flags.Request | Rtnl.Flags.Ack, m.Flags & (Rtnl.Flags.Request | Rtnl.Flags.Ack)));
        Assert.Equal(0, batch.Count); // committed batches start empty
    }

    [Fact]
    public void EachRefusalIsReportedOnItsOwnInRequestOrderAndDeletesOfWhatIsGoneAreNot()
    {
        // seq is the datagram's first request's. The kernel refuses the second and fourth requests
        // and finds nothing to delete for the third; the answers arrive out of order.
        ScriptedTransport kernel = new((_, seq) =>
        [
            Replies.Concat(Replies.Error(seq + 3, Errno.EINVAL), Replies.Error(seq + 2, Errno.ENOENT), Replies.Ack(seq)),
            Replies.Error(seq + 1, Errno.EAFNOSUPPORT, "bad remote"),
        ]);
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));
        RouteBatch batch = netlink.Batch()
            .ReplaceFdb(7, Mac(1), Remote)
            .ReplaceFdb(7, Mac(2), IPAddress.Parse("fd00::1"))
            .DeleteFdb(7, Mac(3))
            .ReplaceNeighbour(7, IPAddress.Parse("10.0.0.4"), Mac(4));

        IReadOnlyList<NetlinkException> refused = batch.Commit();

        Assert.Equal([Errno.EAFNOSUPPORT, Errno.EINVAL], refused.Select(e => e.Errno));
        Assert.StartsWith("netlink: replace fdb entry 02:42:0a:00:00:02 dst fd00::1 on link 7: ", refused[0].Message, StringComparison.Ordinal);
        Assert.Contains("bad remote", refused[0].Message, StringComparison.Ordinal);
        Assert.EndsWith("hint: the remote is not of the vxlan device's address family (its local address's)", refused[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("netlink: replace neighbour 10.0.0.4 lladdr 02:42:0a:00:00:04 on link 7: ", refused[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALargeBatchIsSplitIntoDatagramsTheAcksOfWhichFitTheSocket()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]) { AnswerEveryMessage = true };
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));
        RouteBatch batch = netlink.Batch();
        for (int i = 1; i <= 70; i++)
        {
            batch.ReplaceFdb(7, Mac(i), Remote);
        }

        Assert.Empty(batch.Commit());

        Assert.Equal([NetlinkSocket.BatchMessagesMax, NetlinkSocket.BatchMessagesMax, 70 - (2 * NetlinkSocket.BatchMessagesMax)], kernel.Sent.Select(d => Headers(d).Count));
        Assert.Equal(Enumerable.Range(1, 70).Select(i => (uint)i), kernel.Sent.SelectMany(d => Headers(d).Select(m => m.Sequence)));
    }

    [Fact]
    public void AKernelThatLeavesARequestUnansweredIsATimeoutNamingTheBatch()
    {
        ScriptedTransport kernel = new((_, seq) => [Replies.Ack(seq)]); // the first request's ack comes, the second's never
        using RouteNetlink netlink = new(new NetlinkSocket(kernel));

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.Batch().ReplaceFdb(7, Mac(1), Remote).ReplaceFdb(7, Mac(2), Remote).Commit());

        Assert.Equal(Errno.ETIMEDOUT, e.Errno);
        Assert.Contains("(a batch of 2)", e.Message, StringComparison.Ordinal);
    }

    private static PhysicalAddress Mac(int last) => new([0x02, 0x42, 0x0a, 0x00, 0x00, (byte)last]);

    private static List<(ushort Type, uint Sequence, ushort Flags)> Headers(byte[] datagram)
    {
        var headers = new List<(ushort, uint, ushort)>();
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage message))
        {
            headers.Add((message.Type, message.Sequence, message.Flags));
        }

        return headers;
    }
}
