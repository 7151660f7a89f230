using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>
/// What to do with a packet: send these bytes, send the first <see cref="Written"/> bytes of the
/// caller's response buffer (the allocation-free path wrote them there), forward the query
/// upstream, or drop it.
/// </summary>
public readonly record struct DnsReply(byte[]? Bytes, Message? ToForward, int Written = 0)
{
    public static DnsReply Drop => default;

    public bool IsDrop => Bytes is null && ToForward is null && Written == 0;

    public static DnsReply InBuffer(int length) => new(null, null, length);

    public static DnsReply Send(byte[] bytes) => new(bytes, null);

    public static DnsReply Forward(Message query) => new(null, query);
}
