using System.Buffers.Binary;
using System.Net;
using Backbone.Dns.Names;

namespace Backbone.Dns.Wire;

/// <summary>
/// An answer set encoded once, when the table is built, so answering a question is copying
/// bytes. Answer records are owned by the question's name, so their owner is a pointer to it
/// (offset 12, whatever case the client used). SRV and PTR targets are written in full (RFC 3597
/// 4: names inside the data of types newer than RFC 1035, SRV among them, are never compressed);
/// an additional record owned by an SRV target points at that target, a pointer patched in when
/// the answer is written, since the rotation moves it (a task's name is some 40 bytes: without
/// this an SRV answer of ten tasks would be 1,100 bytes, not 700).
/// Rotation <c>k</c> is the answer records from the k-th on, then those before it: two copies
/// out of one buffer, so a set of n records costs n records of memory, not n².
/// </summary>
internal sealed class WireAnswer
{
    private readonly byte[] answers;
    private readonly int[] starts;
    private readonly byte[] additional;

    /// <summary>For each additional record owned by an SRV target: where its owner pointer sits, and which answer record holds the target.</summary>
    private readonly (int At, int Record)[] ownerPointers;

    /// <summary>An SRV record's target starts after the owner pointer (2), type, class, TTL, length (10), priority, weight and port (6).</summary>
    private const int SrvTargetOffset = 18;

    /// <summary>Compression pointers hold 14 bits of offset.</summary>
    private const int MaxPointerTarget = 0x3fff;

    private WireAnswer(byte[] answers, int[] starts, byte[] additional, int additionalCount, (int At, int Record)[] ownerPointers)
    {
        this.answers = answers;
        this.starts = starts;
        this.additional = additional;
        this.ownerPointers = ownerPointers;
        AdditionalCount = additionalCount;
    }

    public int AnswerCount => starts.Length;

    public int AdditionalCount { get; }

    /// <summary>The answer section's bytes (any rotation has the same length).</summary>
    public int AnswersLength => answers.Length;

    public int AdditionalLength => additional.Length;

    /// <summary>
    /// Encodes <paramref name="records"/> (all owned by one name) and their
    /// <paramref name="additionalRecords"/>; null when some record has no wire form (a label over
    /// 63 bytes, a name not in ASCII): the responder's general path then answers it, or fails it
    /// alone, and the rest of the table is unaffected.
    /// </summary>
    public static WireAnswer? TryEncode(DnsRecord[] records, DnsRecord[] additionalRecords)
    {
        try
        {
            return Encode(records, additionalRecords);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static WireAnswer Encode(DnsRecord[] records, DnsRecord[] additionalRecords)
    {
        var starts = new int[records.Length];
        using var answerBytes = new MemoryStream();
        for (int i = 0; i < records.Length; i++)
        {
            starts[i] = (int)answerBytes.Length;
            Append(answerBytes, records[i], ownerIsQuestion: true);
        }

        using var additionalBytes = new MemoryStream();
        List<(int At, int Record)> pointers = [];
        foreach (DnsRecord record in additionalRecords)
        {
            int target = Array.FindIndex(records, r => r.Type == RecordType.Srv && string.Equals(r.Data, record.Name, StringComparison.Ordinal));
            if (target >= 0)
            {
                pointers.Add(((int)additionalBytes.Length, target));
            }

            Append(additionalBytes, record, ownerIsQuestion: target >= 0); // a pointer either way; patched when written
        }

        return new WireAnswer(answerBytes.ToArray(), starts, additionalBytes.ToArray(), additionalRecords.Length, [.. pointers]);
    }

    /// <summary>
    /// Whether the additional records can follow answers that start at <paramref name="answersAt"/>
    /// in the message: their owner pointers must reach the targets (14 bits of offset), which a
    /// TCP answer of a few hundred SRV records can pass.
    /// </summary>
    public bool AdditionalFits(int answersAt) => ownerPointers.Length == 0 || answersAt + answers.Length <= MaxPointerTarget;

    /// <summary>Writes the answer records in rotation <paramref name="rotation"/> (the index of the record that goes first).</summary>
    public int WriteAnswers(int rotation, Span<byte> destination)
    {
        int split = starts.Length == 0 ? 0 : starts[rotation];
        answers.AsSpan(split).CopyTo(destination);
        answers.AsSpan(0, split).CopyTo(destination[(answers.Length - split)..]);
        return answers.Length;
    }

    /// <summary>
    /// Writes the additional records after answers in rotation <paramref name="rotation"/> that
    /// start at <paramref name="answersAt"/> in the message, pointing each SRV target's record at
    /// that target. Check <see cref="AdditionalFits"/> first.
    /// </summary>
    public int WriteAdditional(int rotation, int answersAt, Span<byte> destination)
    {
        additional.CopyTo(destination);
        int split = starts.Length == 0 ? 0 : starts[rotation];
        foreach ((int at, int record) in ownerPointers)
        {
            int moved = starts[record] - split;
            int position = answersAt + (moved >= 0 ? moved : moved + answers.Length) + SrvTargetOffset;
            WireNames.WriteUInt16(destination, at, 0xc000 | position);
        }

        return additional.Length;
    }

    private static void Append(MemoryStream stream, DnsRecord record, bool ownerIsQuestion)
    {
        Span<byte> buffer = stackalloc byte[2 * 256 + 32]; // owner and target names (at most 255 bytes each) and the fixed fields
        int at;
        if (ownerIsQuestion)
        {
            WireNames.WriteUInt16(buffer, 0, WireNames.PointerToQuestion);
            at = 2;
        }
        else
        {
            at = WireNames.Write(record.Name, buffer);
        }

        WireNames.WriteUInt16(buffer, at, (ushort)record.Type);
        WireNames.WriteUInt16(buffer, at + 2, 1); // class IN
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(at + 4)..], record.Ttl);
        int lengthAt = at + 8;
        int data = at + 10;
        int end = data + record.Type switch
        {
            RecordType.A or RecordType.Aaaa => WriteAddress(record, buffer[data..]),
            RecordType.Ptr => WireNames.Write(record.Data, buffer[data..]),
            RecordType.Srv => WriteSrv(record, buffer[data..]),
            _ => throw new InvalidOperationException($"the name table produced a {record.Type} record, which has no wire encoding here"),
        };
        WireNames.WriteUInt16(buffer, lengthAt, end - data);
        stream.Write(buffer[..end]);
    }

    private static int WriteAddress(DnsRecord record, Span<byte> destination)
    {
        IPAddress address = IPAddress.Parse(record.Data);
        if (!address.TryWriteBytes(destination, out int written) || written != (record.Type == RecordType.A ? 4 : 16))
        {
            throw new InvalidOperationException($"{record.Type} record {record.Name} holds '{record.Data}', which is not an address of that family");
        }

        return written;
    }

    private static int WriteSrv(DnsRecord record, Span<byte> destination)
    {
        WireNames.WriteUInt16(destination, 0, record.Priority);
        WireNames.WriteUInt16(destination, 2, record.Weight);
        WireNames.WriteUInt16(destination, 4, record.Port);
        return 6 + WireNames.Write(record.Data, destination[6..]);
    }
}
