using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// The query's header bits a client may set (RD, AD, CD, the reserved Z) get the same response
/// bits from the allocation-free path and the general one: RD echoed, AA and RA ours, and AD and CD
/// never set in an answer, since we validate nothing (RFC 4035 3.1.6 binds only servers that do).
/// </summary>
public sealed class HeaderBitsTests
{
    [Theory]
    [InlineData(0x01, 0x00)] // RD
    [InlineData(0x00, 0x10)] // CD
    [InlineData(0x01, 0x20)] // RD, AD
    [InlineData(0x01, 0x30)] // RD, AD, CD
    [InlineData(0x00, 0x40)] // Z, which must be zero and is ignored
    public void BothPathsAnswerTheSameHeaderBits(byte byte2, byte byte3)
    {
        NameTable table = Table([Network("front")], [Service("web", "dnsrr", [On("front")])], [Task(Service("web", "dnsrr", [On("front")]), 1, "front", "10.0.0.5")]);
        var responder = new DnsResponder(() => table);
        foreach (string name in new[] { "web", "tasks.web", "web.front" })
        {
            byte[] query = Packets.Query(0x4321, name, 1);
            query[2] = (byte)((query[2] & ~0x01) | byte2);
            query[3] = byte3;
            byte[] buffer = new byte[ushort.MaxValue];

            DnsReply fast = responder.Respond(query, query.Length, NameScope.All, overTcp: false, buffer);
            DnsReply general = responder.Respond(query, query.Length, NameScope.All, overTcp: false);

            Assert.True(fast.Written > 0, $"{name}: the fast path did not answer");
            Message f = Parse(buffer[..fast.Written]), g = Parse(general.Bytes!);
            Assert.Equal((g.QR, g.AA, g.RD, g.RA, g.AD, g.CD, g.Z, g.Status), (f.QR, f.AA, f.RD, f.RA, f.AD, f.CD, f.Z, f.Status));
            Assert.Equal((byte2 & 0x01) != 0, f.RD);
            Assert.False(f.AD, $"{name}: AD set though nothing was validated");
            Assert.Equal(0, f.Z);
        }
    }

    private static Message Parse(byte[] bytes)
    {
        var message = new Message();
        message.Read(bytes, 0, bytes.Length);
        return message;
    }
}
