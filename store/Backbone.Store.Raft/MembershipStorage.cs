using System.Net;
using DotNext.Buffers;
using DotNext.IO;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace Backbone.Store.Raft;

/// <summary>
/// The Raft membership (voter endpoints) in a file of the data directory, so a restarted node
/// knows its cluster without any flag. DotNext's persistent storage only lacks the address codec.
/// </summary>
internal sealed class MembershipStorage(string fileName) : PersistentClusterConfigurationStorage<EndPoint>(fileName)
{
    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer) => EndPointFormatter.WriteEndPoint(ref writer, address);

    protected override EndPoint Decode(ref SequenceReader reader) => EndPointFormatter.ReadEndPoint(ref reader);

    /// <summary>Whether no configuration was ever stored (a node that has not joined yet).</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        (await ((IClusterConfigurationStorage<EndPoint>)this).LoadConfigurationAsync(cancellationToken).ConfigureAwait(false)).Members.Count == 0;

    /// <summary>Stores the configuration with <paramref name="voters"/> added, outside the log (a node that is not running yet).</summary>
    public async Task AddVotersAsync(IEnumerable<EndPoint> voters, CancellationToken cancellationToken)
    {
        IClusterConfiguration<EndPoint> configuration = await ((IClusterConfigurationStorage<EndPoint>)this).LoadConfigurationAsync(cancellationToken).ConfigureAwait(false);
        foreach (EndPoint voter in voters.Distinct())
        {
            configuration = configuration.Add(voter);
        }

        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync(configuration, 0, cancellationToken).ConfigureAwait(false);
    }
}
