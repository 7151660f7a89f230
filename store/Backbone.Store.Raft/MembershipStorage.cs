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
}
