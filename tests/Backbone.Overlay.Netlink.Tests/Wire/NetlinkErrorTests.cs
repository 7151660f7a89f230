using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Wire;

public sealed class NetlinkErrorTests
{
    [Fact]
    public void AnErrorOfZeroIsTheAck()
    {
        Assert.Equal(0, Decode(Replies.Ack(3), out string? kernelMessage));
        Assert.Null(kernelMessage);
    }

    [Fact]
    public void ReadsTheErrnoAndTheKernelsTextAfterACappedEcho()
    {
        Assert.Equal(Errno.EEXIST, Decode(Replies.Error(3, Errno.EEXIST, "Device or resource exists"), out string? kernelMessage));
        Assert.Equal("Device or resource exists", kernelMessage);
    }

    [Fact]
    public void SkipsAFullyEchoedRequestToFindTheKernelsText()
    {
        // Without NETLINK_CAP_ACK the whole request is echoed before the attributes: here a
        // 22-byte request (16 header + 6 payload), padded to 24.
        byte[] reply = Replies.Message(Rtnl.Message.Error, Rtnl.Flags.AckTlvs, 5, b =>
        {
            b.Write(-Errno.EINVAL);
            b.Write(new NetlinkHeader { Length = 22, Type = Rtnl.Message.NewLink, Sequence = 5 });
            b.Write(0x0000_ffff_ffff_ffffL); // 6 payload bytes and 2 of padding
            b.AddString(Rtnl.ExtAckMessage, "Unknown device type");
        });

        Assert.Equal(Errno.EINVAL, Decode(reply, out string? kernelMessage));
        Assert.Equal("Unknown device type", kernelMessage);
    }

    [Fact]
    public void ADumpsDoneCarriesItsOwnErrno()
    {
        Assert.Equal(0, Decode(Replies.Done(8), out _));
        Assert.Equal(Errno.EINVAL, Decode(Replies.Done(8, Errno.EINVAL), out _));
        Assert.Equal(0, Decode(Replies.Message(Rtnl.Message.Done, Rtnl.Flags.Multi, 8), out _)); // old kernels: empty DONE
    }

    [Fact]
    public void BecomesAnExceptionThatNamesOperationObjectErrnoAndHint()
    {
        int errno = Decode(Replies.Error(3, Errno.EEXIST), out string? kernelMessage);

        NetlinkException e = new("create bridge", "bb1234br", errno, kernelMessage);

        Assert.Equal("netlink: create bridge bb1234br: File exists (EEXIST); hint: the object already exists", e.Message);
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal("create bridge", e.Operation);
        Assert.Equal("bb1234br", e.Target);
    }

    [Fact]
    public void IncludesTheKernelsTextAndTheUsualCause()
    {
        int errno = Decode(Replies.Error(3, Errno.EPERM, "Operation not permitted here"), out string? kernelMessage);

        NetlinkException e = new("create veth", "ve1", errno, kernelMessage);

        Assert.Equal("netlink: create veth ve1: Operation not permitted (EPERM): Operation not permitted here; hint: run as root (needs CAP_NET_ADMIN, and CAP_SYS_ADMIN for namespaces)", e.Message);
        Assert.Contains("no such device", new NetlinkException("set up", "link 9", Errno.ENODEV).Message, StringComparison.Ordinal);
        Assert.Equal("netlink: add route 10.0.0.0/8 dev 3: Invalid argument (EINVAL)", new NetlinkException("add route", "10.0.0.0/8 dev 3", Errno.EINVAL).Message);
    }

    [Fact]
    public void NamesErrnoValues()
    {
        Assert.Equal("EEXIST", Errno.Name(17));
        Assert.Equal("ENODEV", Errno.Name(19));
        Assert.Equal("EOPNOTSUPP", Errno.Name(95));
        Assert.Equal("errno 4242", Errno.Name(4242));
        Assert.Equal("No such device", Errno.Describe(Errno.ENODEV));
    }

    private static int Decode(byte[] datagram, out string? kernelMessage)
    {
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        return NetlinkError.Decode(message, out kernelMessage);
    }
}
