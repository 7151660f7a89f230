using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Fakes;

/// <summary>Takes apart a request the client sent, so a test can say which attributes it carried and with which bytes.</summary>
internal static class Requests
{
    /// <summary>The one message of <paramref name="datagram"/>: its header fields, fixed struct and top-level attributes.</summary>
    public static SentRequest<T> Parse<T>(byte[] datagram) where T : unmanaged
    {
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        T fixedPart = message.ReadFixed<T>(out NetlinkAttributeReader attributes);
        Assert.False(reader.TryRead(out _), "a request is one message");
        return new SentRequest<T>(message.Type, message.Flags, fixedPart, Collect(attributes));
    }

    /// <summary>The attributes inside a nested attribute's value.</summary>
    public static Dictionary<ushort, byte[]> Nested(byte[] value) => Collect(new NetlinkAttributeReader(value));

    /// <remarks>Dictionary.Add throws on a repeated type: no request of ours repeats an attribute.</remarks>
    private static Dictionary<ushort, byte[]> Collect(NetlinkAttributeReader reader)
    {
        Dictionary<ushort, byte[]> attributes = [];
        while (reader.TryRead(out NetlinkAttribute attribute))
        {
            attributes.Add(attribute.Type, attribute.Value.ToArray());
        }

        return attributes;
    }
}
