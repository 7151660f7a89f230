using System.Globalization;
using System.Text;
using Backbone.Core;
using Backbone.Store;
using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Server.Cluster;

/// <summary>
/// One worker (a node without a vote whose client API passes calls to the managers), under
/// <see cref="Prefix"/> + member id (16 hex digits): what <c>node ls</c> lists beside the managers
/// and what <c>node promote</c> names. Written by the leader when a worker joins or a manager is
/// demoted; a promotion sets <see cref="PromoteTo"/>, which the worker watches for; deleted when
/// the worker becomes a manager or leaves.
/// </summary>
[MessagePackObject]
public sealed class WorkerRecord
{
    public const int CurrentSchema = 1;
    public static readonly byte[] Prefix = Encoding.UTF8.GetBytes("/bb/cluster/workers/");

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required ulong MemberId { get; init; }
    [Key(2)] public required string Name { get; init; }

    /// <summary>HOST:PORT its Raft endpoint will listen at once it is promoted (its certificate names this IP).</summary>
    [Key(3)] public required string PeerAddress { get; init; }
    [Key(4)] public required string ClientUrl { get; init; }

    /// <summary>Set by <c>node promote</c>: the voters' peer addresses, the configuration the worker starts Raft with.</summary>
    [Key(5)] public IReadOnlyList<string> PromoteTo { get; init; } = [];

    [IgnoreMember] public bool PromotionPending => PromoteTo.Count > 0;

    public static byte[] KeyOf(ulong memberId) => [.. Prefix, .. Encoding.ASCII.GetBytes(memberId.ToString("x16", CultureInfo.InvariantCulture))];

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    /// <summary>A record from its stored bytes; null when they are no record of this schema.</summary>
    public static WorkerRecord? TryDeserialize(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            WorkerRecord record = MessagePackSerializer.Deserialize<WorkerRecord>(bytes);
            return record.Schema == CurrentSchema ? record : null;
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }

    public static WorkerRecord From(ManagerRecord manager) => new()
    {
        MemberId = manager.MemberId,
        Name = manager.Name,
        PeerAddress = manager.PeerAddress,
        ClientUrl = manager.ClientUrl,
    };

    public ManagerRecord ToManager() => new() { MemberId = MemberId, Name = Name, PeerAddress = PeerAddress, ClientUrl = ClientUrl };

    /// <summary>The record of one worker from this member's store (linearizable when asked), or null.</summary>
    public static async Task<WorkerRecord?> ReadAsync(StoreEngine engine, ulong memberId, bool linearizable, CancellationToken cancellationToken)
    {
        RangeResult found = await engine.RangeAsync(new RangeRequest { Key = KeyOf(memberId), Serializable = !linearizable }, cancellationToken).ConfigureAwait(false);
        return found.Kvs.Count == 0 ? null : TryDeserialize(found.Kvs[0].Value);
    }

    /// <summary>Every worker record (linearizable): for <c>node ls</c> and name lookups.</summary>
    public static async Task<IReadOnlyList<WorkerRecord>> ReadAllAsync(StoreEngine engine, CancellationToken cancellationToken)
    {
        RangeResult found = await engine.RangeAsync(new RangeRequest { Key = Prefix, RangeEnd = KeyRange.PrefixEnd(Prefix) }, cancellationToken).ConfigureAwait(false);
        return [.. found.Kvs.Select(kv => TryDeserialize(kv.Value)).OfType<WorkerRecord>()];
    }

    public Task StoreAsync(StoreEngine engine, CancellationToken cancellationToken) =>
        engine.PutAsync(new PutRequest { Key = KeyOf(MemberId), Value = Serialize() }, cancellationToken);
}
