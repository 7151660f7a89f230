using System.Buffers;
using System.IO.Hashing;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// What two logs must agree on at one index: the entry's term and a digest of its content.
/// Raft's log matching says an equal (index, term) means an equal entry; a paused leader once
/// broke that (see <see cref="RaftNode.TryGetLeadingTerm"/>), and a term-only check passed over
/// it. The digest makes the check see content, whatever the cause. <see cref="Digest"/> is 0 when
/// unknown (a peer that sends none): then only the terms are compared.
/// </summary>
public readonly record struct EntryMark(long Term, ulong Digest)
{
    /// <summary>Whether the two entries may be the same: equal terms, and equal digests when both are known.</summary>
    public bool Matches(EntryMark other) => Term == other.Term && (Digest == 0 || other.Digest == 0 || Digest == other.Digest);

    internal static async ValueTask<EntryMark> OfAsync(LogEntry entry, CancellationToken cancellationToken)
    {
        var hash = new XxHash64();
        Span<byte> command = stackalloc byte[sizeof(int) + 1];
        BitConverter.TryWriteBytes(command, entry.CommandId ?? 0);
        command[^1] = entry.CommandId.HasValue ? (byte)1 : (byte)0;
        hash.Append(command);
        if (entry.TryGetPayload(out ReadOnlySequence<byte> payload))
        {
            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                hash.Append(segment.Span);
            }
        }
        else
        {
            hash.Append(await entry.ToByteArrayAsync(token: cancellationToken).ConfigureAwait(false));
        }

        return new EntryMark(entry.Term, hash.GetCurrentHashAsUInt64() | 1); // never 0: 0 means unknown
    }
}
