using System.Buffers.Binary;
using Backbone.Control.Endpoints;
using Backbone.Control.Services;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// The allocation-free path (<see cref="TableAnswer"/>) against the general one built on
/// Makaretu's message model: for every plain query both must say the same thing, and the fast
/// one must say it without allocating.
/// </summary>
public sealed class TableAnswerTests
{
    private static readonly ServiceRecord Web = Service("web", "vip", [On("front", "10.0.0.2", "www")], [Port("http", 80)]);
    private static readonly ServiceRecord Cache = Service("cache", "dnsrr", [On("front")]);

    /// <summary>40 tasks: 40 A records (656 bytes) do not fit 512 bytes, so UDP answers truncate.</summary>
    private const int CacheTasks = 40;

    private static NameTable NewTable()
    {
        List<EndpointRecord> endpoints = [Task(Web, 1, "front", "10.0.0.5"), Task(Web, 2, "front", "10.0.0.6"), Container("db", "front", "10.0.1.10", aliases: ["database"]), Container("vault", "secret", "10.9.0.3")];
        for (int slot = 1; slot <= CacheTasks; slot++)
        {
            endpoints.Add(Task(Cache, slot, "front", $"10.0.2.{slot}"));
        }

        return Table([Network("front"), Network("secret", isInternal: true)], [Web, Cache], [.. endpoints]);
    }

    public static TheoryData<string, ushort> Questions() => new()
    {
        { "web", 1 }, { "WEB.Front", 1 }, { "www.", 1 }, { "tasks.web", 1 }, { "web", 28 }, { "web", 255 },
        { "cache", 1 }, { "tasks.cache.front", 1 }, { "_http._tcp.web", 33 }, { "_http._tcp.web.front", 255 }, { "_ftp._tcp.web", 33 },
        { "db", 1 }, { "database.front", 1 }, { "db", 33 }, { "10.1.0.10.in-addr.arpa", 12 }, { "2.0.0.10.in-addr.arpa", 12 },
        { "vault", 1 }, { "nosuch", 1 }, { "nosuch.example", 28 },
    };

    [Theory]
    [MemberData(nameof(Questions))]
    public void EveryPlainQuestionIsAnsweredAsTheGeneralPathAnswersIt(string name, ushort type)
    {
        var responder = new DnsResponder(() => Table);
        NameScope[] scopes = [NameScope.All, Scope("front"), Scope("secret")];
        ushort?[] payloads = [null, 100, 512, 1232, 4096];
        foreach (NameScope scope in scopes)
        {
            foreach (ushort? payload in payloads)
            {
                foreach (bool overTcp in new[] { false, true })
                {
                    byte[] query = Packets.Query(0x1234, name, type, payload);
                    byte[] buffer = new byte[ushort.MaxValue];
                    DnsReply fast = responder.Respond(query, query.Length, scope, overTcp, buffer);
                    DnsReply general = responder.Respond(query, query.Length, scope, overTcp);
                    string context = $"{name} type {type} scope {(scope.NetworkIds is { } ids ? string.Join(",", ids) : "all")} payload {payload} tcp {overTcp}";
                    if (general.ToForward is not null)
                    {
                        Assert.True(fast.ToForward is not null, $"{context}: the general path forwards, the fast one did not");
                        continue;
                    }

                    Assert.True(fast.Written > 0, $"{context}: the fast path did not answer a plain query");
                    Assert.Equal(Describe(general.Bytes!), Describe(buffer[..fast.Written]));
                }
            }
        }
    }

    [Fact]
    public void UdpAnswersThatDoNotFitAreTruncatedAndTcpCarriesThemWhole()
    {
        var responder = new DnsResponder(() => Table);
        byte[] query = Packets.Query(7, "tasks.cache", 1);
        byte[] buffer = new byte[ushort.MaxValue];

        int udp = responder.Respond(query, query.Length, NameScope.All, overTcp: false, buffer).Written;
        Message truncated = Parse(buffer[..udp]);
        Assert.True(truncated.TC);
        Assert.Empty(truncated.Answers);
        Assert.True(udp <= 512, $"{udp} bytes over UDP without EDNS0");

        int tcp = responder.Respond(query, query.Length, NameScope.All, overTcp: true, buffer).Written;
        Message whole = Parse(buffer[..tcp]);
        Assert.False(whole.TC);
        Assert.Equal(CacheTasks, whole.Answers.Count);
    }

    [Fact]
    public void SuccessiveAnswersAreRotated()
    {
        var responder = new DnsResponder(() => Table);
        byte[] query = Packets.Query(9, "cache", 1, ednsPayload: 1232);
        byte[] buffer = new byte[ushort.MaxValue];
        HashSet<string> firsts = [];
        for (int call = 0; call < CacheTasks; call++)
        {
            int written = responder.Respond(query, query.Length, NameScope.All, overTcp: false, buffer).Written;
            Message answer = Parse(buffer[..written]);
            Assert.Equal(CacheTasks, answer.Answers.Count);
            firsts.Add(((ARecord)answer.Answers[0]).Address.ToString());
        }

        Assert.Equal(CacheTasks, firsts.Count);
    }

    [Theory]
    [InlineData(1)] // the plain path
    [InlineData(2)] // two questions: the general path
    public void AnEdnsVersionAboveZeroGetsBadVersion(int questions)
    {
        var responder = new DnsResponder(() => Table);
        byte[] opt = Packets.Opt(1232);
        opt[6] = 1; // version 1 (the OPT's TTL: extended rcode, version, flags)
        byte[] query = [.. Packets.Header(3, questions: questions, additional: 1), .. Enumerable.Repeat<byte[]>([.. Packets.Name("web"), .. Packets.TypeAndClass(1)], questions).SelectMany(q => q), .. opt];
        byte[] buffer = new byte[ushort.MaxValue];

        DnsReply reply = responder.Respond(query, query.Length, NameScope.All, overTcp: false, buffer);
        byte[] response = reply.Written > 0 ? buffer[..reply.Written] : reply.Bytes!;

        Assert.Equal(0, Packets.Rcode(response)); // BADVERS is 16: 0 in the header...
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(6))); // no answers
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(10))); // our OPT
        Assert.Equal([0, 0, 41], response[^11..^8]);
        Assert.Equal(1, response[^6]); // ...and 1 in the OPT's extended rcode
        Assert.Equal(0, response[^5]); // our version
    }

    [Fact]
    public void ThePlainPathAllocatesNothing()
    {
        var responder = new DnsResponder(() => Table);
        byte[][] queries =
        [
            Packets.Query(1, "web", 1), Packets.Query(2, "tasks.cache", 1, ednsPayload: 1232), Packets.Query(3, "_http._tcp.web", 33, ednsPayload: 1232),
            Packets.Query(4, "web", 28), Packets.Query(5, "10.1.0.10.in-addr.arpa", 12), Packets.Query(6, "nosuch", 1),
        ];
        NameScope front = Scope("front");
        NameScope secret = Scope("secret");
        byte[] buffer = new byte[ushort.MaxValue];
        foreach (byte[] query in queries)
        {
            Assert.True(responder.Respond(query, query.Length, secret, overTcp: false, buffer).Written > 0); // NXDOMAIN on an internal network: answered here
        }

        // The fewest bytes of three rounds: the runtime may allocate once while it recompiles the
        // loop (tiering), but an allocation per query would show in every round.
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int call = 0; call < 1_000; call++)
            {
                for (int i = 0; i < queries.Length - 1; i++)
                {
                    responder.Respond(queries[i], queries[i].Length, front, overTcp: false, buffer);
                }

                responder.Respond(queries[^1], queries[^1].Length, secret, overTcp: false, buffer);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    private static readonly NameTable Table = NewTable();

    private static Message Parse(byte[] bytes)
    {
        var message = new Message();
        message.Read(bytes);
        return message;
    }

    /// <summary>
    /// Everything a client reads from a response, with each section sorted (the two paths rotate
    /// independently) and in lower case: the fast path's answers point at the question's name as
    /// the client spelled it, where Makaretu writes the table's lower-case name.
    /// </summary>
    private static string Describe(byte[] bytes)
    {
        Message m = Parse(bytes);
        static string Section(IEnumerable<ResourceRecord> records) => string.Join(" | ", records.Select(r => r.ToString()).Order(StringComparer.Ordinal));
        return $"id {m.Id} qr {m.QR} op {m.Opcode} aa {m.AA} tc {m.TC} rd {m.RD} ra {m.RA} ad {m.AD} cd {m.CD} rcode {m.Status}\n"
            + $"q {string.Join(" | ", m.Questions.Select(q => q.ToString()))}\n" + $"an {Section(m.Answers)}\nns {Section(m.AuthorityRecords)}\nar {Section(m.AdditionalRecords)}".ToLowerInvariant();
    }
}
