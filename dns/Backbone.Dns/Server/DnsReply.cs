using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>What to do with a packet: send these bytes, forward the query upstream, or drop it.</summary>
public readonly record struct DnsReply(byte[]? Bytes, Message? ToForward)
{
    public static DnsReply Drop => default;

    public static DnsReply Send(byte[] bytes) => new(bytes, null);

    public static DnsReply Forward(Message query) => new(null, query);
}
