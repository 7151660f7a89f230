using System.Net;
using Backbone.Dns.Names;
using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>
/// Turns one query into its answer from the name table, or into the decision to forward it.
/// Everything a packet may contain is handled here without throwing: less than a header, or a
/// response (QR set), is dropped; a malformed query gets FORMERR with its id (<see cref="QueryReader"/>
/// says what malformed means); an opcode other than QUERY gets NOTIMP. Answers
/// carry the client's EDNS0 OPT back and fit the UDP size it allows (512 bytes without EDNS0):
/// additional records go first, then the answers, with TC set so the client asks over TCP.
/// </summary>
public sealed class DnsResponder(Func<NameTable> table)
{
    /// <summary>What we advertise in our OPT record.</summary>
    public const ushort OurUdpPayload = 1232;
    private const int MinUdpPayload = 512;

    /// <summary>
    /// Answers <paramref name="packet"/>: a plain query the table answers is written into
    /// <paramref name="response"/> without allocating (<see cref="TableAnswer"/>); anything else
    /// takes the general path below. <paramref name="response"/> must hold 65,535 bytes for TCP,
    /// <see cref="OurUdpPayload"/> for UDP.
    /// </summary>
    public DnsReply Respond(byte[] packet, int length, NameScope scope, bool overTcp, Span<byte> response)
    {
        if (length >= Message.MinLength && (packet[2] & 0x80) == 0
            && TableAnswer.TryWrite(packet.AsSpan(0, length), response, table(), scope, overTcp, out int written))
        {
            return DnsReply.InBuffer(written);
        }

        return Respond(packet, length, scope, overTcp);
    }

    /// <summary>The general path: every query, through Makaretu's message model; allocates.</summary>
    public DnsReply Respond(byte[] packet, int length, NameScope scope, bool overTcp)
    {
        if (length < Message.MinLength)
        {
            return DnsReply.Drop; // not even a header: nothing to answer to
        }

        if ((packet[2] & 0x80) != 0)
        {
            return DnsReply.Drop; // a response sent to us, parseable or not: answering it could loop
        }

        // Our own bounds-checked reader, not Makaretu's Message.Read: see QueryReader for why.
        if (QueryReader.Read(packet.AsSpan(0, length)) is not { } query)
        {
            return Error(packet, MessageStatus.FormatError);
        }

        if (query.Opcode != MessageOperation.Query)
        {
            return Reply(query, NewResponse(query, MessageStatus.NotImplemented), overTcp);
        }

        if (query.AdditionalRecords.OfType<OPTRecord>().FirstOrDefault() is { Version: > 0 })
        {
            return BadVersion(packet);
        }

        if (query.Questions.Count != 1)
        {
            // Without the questions: a packet may carry thousands (up to 64 KiB of them), and
            // Reply's truncation never drops questions, so echoing them could overrun the UDP limit.
            Message formatError = NewResponse(query, MessageStatus.FormatError);
            formatError.Questions.Clear();
            return Reply(query, formatError, overTcp);
        }

        Question question = query.Questions[0];
        if (question.Class is not (DnsClass.IN or DnsClass.ANY))
        {
            return Reply(query, NewResponse(query, MessageStatus.NotImplemented), overTcp);
        }

        Lookup lookup = table().Resolve(question.Name.ToString(), (RecordType)(ushort)question.Type, scope);
        if (lookup.Outcome == LookupOutcome.Forward)
        {
            return DnsReply.Forward(query);
        }

        Message response = NewResponse(query, lookup.Outcome == LookupOutcome.NxDomain ? MessageStatus.NameError : MessageStatus.NoError);
        response.AA = true;
        response.Answers.AddRange(lookup.Answers.Select(ToResource));
        response.AdditionalRecords.InsertRange(0, lookup.Additional.Select(ToResource)); // before our OPT
        return Reply(query, response, overTcp);
    }

    /// <summary>A response with the query's id, question, RD, and its OPT echoed (EDNS0 clients see ours).</summary>
    public static Message NewResponse(Message query, MessageStatus status)
    {
        Message response = query.CreateResponse();
        response.Status = status;
        response.RD = query.RD;
        response.RA = true;
        // (CreateResponse copies the question section already.)
        if (query.AdditionalRecords.OfType<OPTRecord>().Any())
        {
            response.AdditionalRecords.Add(new OPTRecord { RequestorPayloadSize = OurUdpPayload });
        }

        return response;
    }

    /// <summary>
    /// An upstream's (or the cache's, or the forwarder's SERVFAIL) answer made ours to send: we ask
    /// upstream without EDNS0, so its answer carries no OPT, or one meant for us (its size, its
    /// cookies). The client gets our OPT exactly when it sent one, then <see cref="Reply"/> fits it.
    /// </summary>
    public static DnsReply Relay(Message query, Message answer, bool overTcp)
    {
        answer.AdditionalRecords.RemoveAll(record => record is OPTRecord);
        if (query.AdditionalRecords.OfType<OPTRecord>().Any())
        {
            answer.AdditionalRecords.Add(new OPTRecord { RequestorPayloadSize = OurUdpPayload });
        }

        return Reply(query, answer, overTcp);
    }

    /// <summary>
    /// The largest UDP answer we send: the client's EDNS0 size (at least 512, else 512), but never
    /// more than the 1232 bytes we advertise (DNS flag day 2020: no fragments), so a small spoofed
    /// query can never draw a 64 KB answer at someone else (amplification); TCP carries the rest.
    /// </summary>
    public static int UdpLimit(Message query) =>
        query.AdditionalRecords.OfType<OPTRecord>().FirstOrDefault() is { } opt ? Math.Clamp((int)opt.RequestorPayloadSize, MinUdpPayload, OurUdpPayload) : MinUdpPayload;

    /// <summary>Serialises <paramref name="response"/>, made to fit over UDP (TCP carries up to 65,535 bytes).</summary>
    public static DnsReply Reply(Message query, Message response, bool overTcp)
    {
        byte[] bytes = response.ToByteArray();
        int limit = overTcp ? ushort.MaxValue : UdpLimit(query);
        if (bytes.Length <= limit)
        {
            return DnsReply.Send(bytes);
        }

        // Too big: drop the additional records (all but our OPT), then the answers, and say so.
        OPTRecord? opt = response.AdditionalRecords.OfType<OPTRecord>().FirstOrDefault();
        response.AdditionalRecords.Clear();
        if (opt is not null)
        {
            response.AdditionalRecords.Add(opt);
        }

        bytes = response.ToByteArray();
        if (bytes.Length > limit)
        {
            response.Answers.Clear();
            response.AuthorityRecords.Clear();
            response.TC = true;
            bytes = response.ToByteArray();
        }

        if (bytes.Length > limit)
        {
            response.AdditionalRecords.Clear(); // header and question only: a question always fits (names are at most 255 bytes)
            bytes = response.ToByteArray();
        }

        return DnsReply.Send(bytes);
    }

    /// <summary>A reply to a packet that did not parse (or that we failed on): its id and opcode, the status, no sections.</summary>
    public static DnsReply Error(byte[] packet, MessageStatus status)
    {
        var response = new byte[Message.MinLength];
        response[0] = packet[0];
        response[1] = packet[1];
        response[2] = (byte)(0x80 | (packet[2] & 0x79)); // QR, the opcode and RD copied
        response[3] = (byte)(0x80 | (int)status); // RA, the status
        return DnsReply.Send(response);
    }

    /// <summary>
    /// BADVERS (RFC 6891 6.1.3) for a query whose OPT asks for an EDNS version above 0: the
    /// header, no sections, and our OPT saying version 0.
    /// </summary>
    private static DnsReply BadVersion(byte[] packet)
    {
        var response = new byte[Message.MinLength + TableAnswer.OptLength];
        Error(packet, MessageStatus.NoError).Bytes!.CopyTo(response, 0);
        response[11] = 1; // ARCOUNT: our OPT
        TableAnswer.WriteOpt(response.AsSpan(Message.MinLength), extendedRcode: TableAnswer.BadVersion >> 4);
        return DnsReply.Send(response);
    }

    private static ResourceRecord ToResource(DnsRecord record)
    {
        var name = new DomainName(record.Name.TrimEnd('.'));
        TimeSpan ttl = TimeSpan.FromSeconds(record.Ttl);
        return record.Type switch
        {
            RecordType.A => new ARecord { Name = name, TTL = ttl, Address = IPAddress.Parse(record.Data) },
            RecordType.Aaaa => new AAAARecord { Name = name, TTL = ttl, Address = IPAddress.Parse(record.Data) },
            RecordType.Ptr => new PTRRecord { Name = name, TTL = ttl, DomainName = new DomainName(record.Data.TrimEnd('.')) },
            RecordType.Srv => new SRVRecord { Name = name, TTL = ttl, Priority = record.Priority, Weight = record.Weight, Port = record.Port, Target = new DomainName(record.Data.TrimEnd('.')) },
            _ => throw new InvalidOperationException($"the name table produced a {record.Type} record, which the responder cannot write"),
        };
    }
}
