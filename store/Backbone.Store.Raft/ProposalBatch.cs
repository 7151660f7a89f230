using System.Buffers;
using System.Buffers.Binary;

namespace Backbone.Store.Raft;

/// <summary>
/// The payload of one Raft entry: many proposals sharing one append and one fsync (group commit).
/// Layout, little-endian: <c>[u8 version = 1][u32 count]</c> then per proposal
/// <c>[u64 origin][i64 sequence][u32 length][command bytes]</c>. Commands are the store's own
/// MessagePack encoding; this layer never looks inside them.
/// </summary>
public static class ProposalBatch
{
    public const byte Version = 1;

    /// <summary>
    /// The Raft entry's command id that marks a proposal batch. DotNext keeps its own entries in
    /// the same log (membership changes, which come back with a payload when replayed after a
    /// restart); only entries carrying this id are the store's.
    /// </summary>
    public const int CommandId = 0x42420001;

    /// <summary>At most this many commands per entry: each gets its own store position (see <see cref="LogPositions"/>).</summary>
    public const int MaxCommands = LogPositions.PerEntry - 1;

    private const int HeaderBytes = 1 + 4;
    private const int PerProposalBytes = 8 + 8 + 4;

    public static int EncodedLength(IReadOnlyList<Proposal> proposals)
    {
        int length = HeaderBytes;
        foreach (Proposal p in proposals)
        {
            length += PerProposalBytes + p.Command.Length;
        }

        return length;
    }

    public static byte[] Encode(IReadOnlyList<Proposal> proposals)
    {
        if (proposals.Count > MaxCommands)
        {
            throw new ArgumentException($"a batch holds at most {MaxCommands} commands, got {proposals.Count}", nameof(proposals));
        }

        byte[] bytes = new byte[EncodedLength(proposals)];
        Span<byte> span = bytes;
        span[0] = Version;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], proposals.Count);
        int at = HeaderBytes;
        foreach (Proposal p in proposals)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], p.Origin);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], p.Sequence);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], p.Command.Length);
            at += PerProposalBytes;
            p.Command.Span.CopyTo(span[at..]);
            at += p.Command.Length;
        }

        return bytes;
    }

    /// <summary>Decodes an entry; throws <see cref="InvalidDataException"/> on anything malformed (never guesses).</summary>
    public static List<Proposal> Decode(ReadOnlySequence<byte> payload)
    {
        byte[] bytes = payload.ToArray();
        ReadOnlySpan<byte> span = bytes;
        if (span.Length < HeaderBytes || span[0] != Version)
        {
            throw new InvalidDataException($"not a proposal batch (length {span.Length}, version {(span.Length > 0 ? span[0] : -1)})");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
        if (count is < 0 or > MaxCommands)
        {
            throw new InvalidDataException($"proposal batch claims {count} commands");
        }

        var proposals = new List<Proposal>(count);
        int at = HeaderBytes;
        for (int i = 0; i < count; i++)
        {
            if (span.Length - at < PerProposalBytes)
            {
                throw new InvalidDataException($"proposal batch cut short in command {i} of {count}");
            }

            ulong origin = BinaryPrimitives.ReadUInt64LittleEndian(span[at..]);
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(span[(at + 16)..]);
            at += PerProposalBytes;
            if (length < 0 || length > span.Length - at)
            {
                throw new InvalidDataException($"proposal batch command {i} claims {length} bytes, {span.Length - at} left");
            }

            proposals.Add(new Proposal(origin, sequence, bytes.AsMemory(at, length)));
            at += length;
        }

        if (at != span.Length)
        {
            throw new InvalidDataException($"proposal batch has {span.Length - at} trailing bytes");
        }

        return proposals;
    }
}
