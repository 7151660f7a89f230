using System.Text;
using Backbone.Store;
using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Server.Cluster;

/// <summary>
/// What every manager needs to admit new members, replicated with everything else under
/// <see cref="Key"/>: the CA (certificate and key) and the two token secrets. Written once, by the
/// first leader of a new cluster, with a create-only Txn. Anyone who can reach the client API
/// can read it today: the client API needs TLS and auth before it faces an untrusted network
/// (docs/cluster.md).
/// </summary>
[MessagePackObject]
public sealed class ClusterSecrets
{
    public const int CurrentSchema = 1;
    public static readonly byte[] Key = Encoding.UTF8.GetBytes("/bb/cluster/secrets");

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required ulong ClusterId { get; init; }
    [Key(2)] public required string CaCertificatePem { get; init; }
    [Key(3)] public required string CaKeyPem { get; init; }
    [Key(4)] public required string ManagerSecret { get; init; }
    [Key(5)] public required string WorkerSecret { get; init; }

    public static ClusterSecrets Create(ulong clusterId)
    {
        ClusterCa ca = ClusterCa.Create(clusterId);
        return new ClusterSecrets
        {
            ClusterId = clusterId,
            CaCertificatePem = ca.CertificatePem,
            CaKeyPem = ca.KeyPem,
            ManagerSecret = JoinToken.NewSecret(),
            WorkerSecret = JoinToken.NewSecret(),
        };
    }

    public ClusterCa Ca() => ClusterCa.Load(CaCertificatePem, CaKeyPem);

    public JoinToken Token(JoinRole role) => new(Ca().Digest, role == JoinRole.Manager ? ManagerSecret : WorkerSecret);

    /// <summary>Reads the secrets from the store (after a read barrier), or null before the first leader wrote them.</summary>
    public static async Task<ClusterSecrets?> ReadAsync(StoreEngine engine, CancellationToken cancellationToken)
    {
        RangeResult found = await engine.RangeAsync(new RangeRequest { Key = Key }, cancellationToken).ConfigureAwait(false);
        if (found.Kvs.Count == 0)
        {
            return null;
        }

        ClusterSecrets secrets = MessagePackSerializer.Deserialize<ClusterSecrets>(found.Kvs[0].Value);
        return secrets.Schema == CurrentSchema ? secrets
            : throw new InvalidOperationException($"{Encoding.UTF8.GetString(Key)} has schema {secrets.Schema}; this build reads {CurrentSchema}: upgrade the node");
    }

    /// <summary>Stores these secrets unless some already exist (create-only); returns the ones in force.</summary>
    public async Task<ClusterSecrets> StoreOnceAsync(StoreEngine engine, CancellationToken cancellationToken)
    {
        await engine.TxnAsync(new TxnRequest
        {
            Compare = [new Compare { Key = Key, Target = CompareTarget.Create, Result = CompareResult.Equal, Number = 0 }],
            Success = [new RequestOp { Put = new PutRequest { Key = Key, Value = MessagePackSerializer.Serialize(this) } }],
        }, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(engine, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the cluster secrets vanished right after being written");
    }
}
