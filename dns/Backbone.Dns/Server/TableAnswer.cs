using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Backbone.Dns.Names;
using Backbone.Dns.Wire;

namespace Backbone.Dns.Server;

/// <summary>
/// Answers a <see cref="PlainQuery"/> from the name table straight into the caller's buffer,
/// allocating nothing: the header is written field by field, the question copied from the
/// query, the records copied from the table's precomputed <see cref="WireAnswer"/>. The
/// response is the one the general path builds with Makaretu (a test holds the two to it):
/// AA and RA set, RD copied, our OPT exactly when the client sent one, and over UDP, when it
/// does not fit, the additional records go first, then the answers, with TC set.
/// </summary>
internal static class TableAnswer
{
    public const int OptLength = 11;

    /// <summary>BADVERS, an extended rcode: its high bits (1) go in the OPT, its low bits (0) in the header.</summary>
    public const int BadVersion = 16;

    /// <summary>
    /// Writes the answer to <paramref name="packet"/> into <paramref name="response"/> (at least
    /// 65,535 bytes for TCP; <see cref="DnsResponder.OurUdpPayload"/> for UDP); false when this
    /// path does not answer it (not a plain query, a name to forward, an answer merged from
    /// several networks) and the general path must.
    /// </summary>
    [SkipLocalsInit] // the key buffer is written (PlainQuery.TryRead) before it is read
    public static bool TryWrite(ReadOnlySpan<byte> packet, Span<byte> response, NameTable table, NameScope scope, bool overTcp, out int written)
    {
        written = 0;
        Span<char> key = stackalloc char[DnsNames.MaxChars];
        if (!PlainQuery.TryRead(packet, key, out PlainQuery query))
        {
            return false;
        }

        int limit = overTcp ? ushort.MaxValue : UdpLimit(query);
        ReadOnlySpan<byte> question = packet[QueryReader.HeaderLength..query.QuestionEnd];
        if (query.OptVersion != 0)
        {
            // RFC 6891 6.1.3: a version we do not speak gets BADVERS and our version (0), nothing else.
            written = WriteHeaderAndQuestion(response, query, question, rcode: 0, answers: 0, additional: 1);
            written += WriteOpt(response[written..], extendedRcode: BadVersion >> 4);
            return true;
        }

        Lookup lookup = table.ResolveKey(key[..query.KeyLength], query.Type, scope); // already lower case, with the dot
        WireAnswer? wire = lookup.Wire;
        if (lookup.Outcome == LookupOutcome.Forward || (lookup.Outcome == LookupOutcome.Answer && wire is null))
        {
            return false;
        }

        int rcode = lookup.Outcome == LookupOutcome.NxDomain ? 3 : 0;
        int optLength = query.HasOpt ? OptLength : 0;
        int fixedLength = QueryReader.HeaderLength + question.Length + optLength;
        int answers = wire?.AnswerCount ?? 0;
        int additional = wire?.AdditionalCount ?? 0;
        bool truncated = false;
        int answersAt = QueryReader.HeaderLength + question.Length;
        if (wire is not null && additional > 0 && !wire.AdditionalFits(answersAt))
        {
            return false; // too far for a pointer: the general path writes the names in full
        }

        if (wire is not null && fixedLength + wire.AnswersLength + wire.AdditionalLength > limit)
        {
            additional = 0;
            if (fixedLength + wire.AnswersLength > limit)
            {
                answers = 0;
                truncated = true;
            }
        }

        written = WriteHeaderAndQuestion(response, query, question, rcode, answers, additional + (query.HasOpt ? 1 : 0));
        if (truncated)
        {
            response[2] |= 0x02; // TC
        }

        if (answers > 0)
        {
            written += wire!.WriteAnswers(lookup.Rotation, response[written..]);
        }

        if (additional > 0)
        {
            written += wire!.WriteAdditional(lookup.Rotation, answersAt, response[written..]);
        }

        if (query.HasOpt)
        {
            written += WriteOpt(response[written..], extendedRcode: 0);
        }

        return true;
    }

    /// <summary>As <see cref="DnsResponder.UdpLimit"/>: the client's EDNS0 size within 512..1232, else 512.</summary>
    private static int UdpLimit(PlainQuery query) =>
        query.HasOpt ? Math.Clamp((int)query.UdpPayload, 512, DnsResponder.OurUdpPayload) : 512;

    private static int WriteHeaderAndQuestion(Span<byte> response, PlainQuery query, ReadOnlySpan<byte> question, int rcode, int answers, int additional)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, query.Id);
        response[2] = (byte)(0x84 | (query.RecursionDesired ? 0x01 : 0)); // QR, opcode QUERY, AA, RD as asked
        response[3] = (byte)(0x80 | rcode); // RA
        WireNames.WriteUInt16(response, 4, 1);
        WireNames.WriteUInt16(response, 6, answers);
        WireNames.WriteUInt16(response, 8, 0);
        WireNames.WriteUInt16(response, 10, additional);
        question.CopyTo(response[QueryReader.HeaderLength..]);
        return QueryReader.HeaderLength + question.Length;
    }

    /// <summary>Our OPT: root owner, our payload size, the extended rcode's high bits, version 0, no flags, no options.</summary>
    public static int WriteOpt(Span<byte> destination, int extendedRcode)
    {
        destination[0] = 0;
        WireNames.WriteUInt16(destination, 1, 41);
        WireNames.WriteUInt16(destination, 3, DnsResponder.OurUdpPayload);
        destination[5] = (byte)extendedRcode;
        destination[6] = 0; // version
        WireNames.WriteUInt16(destination, 7, 0); // DO and the other flags
        WireNames.WriteUInt16(destination, 9, 0); // no options
        return OptLength;
    }
}
