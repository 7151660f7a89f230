using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Server.Tests.Support;

/// <summary>What tests of DotNext's write-ahead log (and ours on top of it) open and append.</summary>
internal static class RaftLogFixtures
{
    /// <summary>Options as RaftNode's, with small chunks.</summary>
    public static WriteAheadLog.Options Options(string location) => new()
    {
        Location = location,
        ChunkSize = 1 << 16,
        HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,
    };

    /// <summary>A one-byte entry of <paramref name="term"/>.</summary>
    public static BinaryLogEntry Entry(long term, byte content) => new() { Term = term, Content = new[] { content }, CommandId = 7 };
}
