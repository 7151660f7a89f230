using System.Globalization;
using System.Net;
using System.Text;
using Backbone.Core;
using Backbone.Store;
using Backbone.Store.Model;
using Backbone.Store.Raft;
using MessagePack;

namespace Backbone.Server.Cluster;

/// <summary>
/// One manager's identity, replicated with everything else under <see cref="Prefix"/> +
/// member id (16 hex digits): what <c>node ls</c>, <c>node rm</c> and etcd's MemberList show of a
/// manager that cannot be reached, so that the member list never depends on reaching a member.
/// Raft itself knows each member only by its peer address; the identity a member publishes in its
/// DotNext metadata is readable only while it is up, or from a cache of it. Written by the leader
/// that adds the manager (and for the first one at --init), deleted by the leader that removes it;
/// for managers added before these records existed, the leader writes one from the metadata it
/// can read (<see cref="StoreIfAbsentAsync"/>).
/// </summary>
[MessagePackObject]
public sealed class ManagerRecord
{
    public const int CurrentSchema = 1;
    public static readonly byte[] Prefix = Encoding.UTF8.GetBytes("/bb/cluster/members/");

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required ulong MemberId { get; init; }
    [Key(2)] public required string Name { get; init; }

    /// <summary>HOST:PORT of the member's Raft endpoint, as DotNext names the member.</summary>
    [Key(3)] public required string PeerAddress { get; init; }
    [Key(4)] public required string ClientUrl { get; init; }

    public static ManagerRecord Of(RaftPeer peer) => new()
    {
        MemberId = peer.MemberId,
        Name = peer.Name,
        PeerAddress = NormalAddress(peer.PeerAddress),
        ClientUrl = peer.ClientUrl,
    };

    public RaftPeer ToPeer(string peerAddress) => new(MemberId, Name, peerAddress, ClientUrl);

    public static byte[] KeyOf(ulong memberId) => [.. Prefix, .. Encoding.ASCII.GetBytes(memberId.ToString("x16", CultureInfo.InvariantCulture))];

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    /// <summary>A record from its stored bytes; null when they are no record of this schema (another format, a newer node).</summary>
    public static ManagerRecord? TryDeserialize(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            ManagerRecord record = MessagePackSerializer.Deserialize<ManagerRecord>(bytes);
            return record.Schema == CurrentSchema ? record : null;
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Every record, from this member's own state (a serializable read: the list must answer
    /// while there is no leader too), or confirmed with the leader when <paramref name="linearizable"/>.
    /// Records of another schema (a newer node's) are left out.
    /// </summary>
    public static async Task<IReadOnlyList<(ManagerRecord Record, long ModRevision)>> ReadAllAsync(StoreEngine engine, bool linearizable,
        CancellationToken cancellationToken)
    {
        RangeResult found = await engine.RangeAsync(new RangeRequest { Key = Prefix, RangeEnd = KeyRange.PrefixEnd(Prefix), Serializable = !linearizable },
            cancellationToken).ConfigureAwait(false);
        var records = new List<(ManagerRecord, long)>(found.Kvs.Count);
        foreach (KeyValue kv in found.Kvs)
        {
            if (TryDeserialize(kv.Value) is { } record)
            {
                records.Add((record, kv.ModRevision));
            }
        }

        return records;
    }

    /// <summary>
    /// Stores this record (leader, once the member is in the Raft configuration), and in the same
    /// Txn deletes any record of another member id at the same peer address: a stale one, left by
    /// a removal whose delete did not happen.
    /// </summary>
    public async Task StoreAsync(StoreEngine engine, CancellationToken cancellationToken)
    {
        var ops = new List<RequestOp> { new() { Put = new PutRequest { Key = KeyOf(MemberId), Value = Serialize() } } };
        foreach ((ManagerRecord other, _) in await ReadAllAsync(engine, linearizable: true, cancellationToken).ConfigureAwait(false))
        {
            if (other.MemberId != MemberId && SameAddress(other.PeerAddress, PeerAddress))
            {
                ops.Add(new RequestOp { DeleteRange = new DeleteRangeRequest { Key = KeyOf(other.MemberId) } });
            }
        }

        await engine.TxnAsync(new TxnRequest { Success = [.. ops] }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores this record unless one exists for its member id (create-only): for backfilling from DotNext metadata.</summary>
    public async Task StoreIfAbsentAsync(StoreEngine engine, CancellationToken cancellationToken)
    {
        byte[] key = KeyOf(MemberId);
        await engine.TxnAsync(new TxnRequest
        {
            Compare = [new Compare { Key = key, Target = CompareTarget.Create, Result = CompareResult.Equal, Number = 0 }],
            Success = [new RequestOp { Put = new PutRequest { Key = key, Value = Serialize() } }],
        }, cancellationToken).ConfigureAwait(false);
    }

    public static Task DeleteAsync(StoreEngine engine, ulong memberId, CancellationToken cancellationToken) =>
        engine.DeleteRangeAsync(new DeleteRangeRequest { Key = KeyOf(memberId) }, cancellationToken);

    /// <summary>Whether two HOST:PORT strings name the same endpoint (IP addresses compared parsed, so "::1" matches "[::1]" forms).</summary>
    public static bool SameAddress(string a, string b) => string.Equals(NormalAddress(a), NormalAddress(b), StringComparison.OrdinalIgnoreCase);

    private static string NormalAddress(string address) => IPEndPoint.TryParse(address, out IPEndPoint? endpoint) ? endpoint.ToString() : address;
}
