using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Backbone.Store.Raft;

/// <summary>
/// Keeps DotNext's cache of the other members' metadata (Backbone identity and client URL) from
/// staying stale for good. DotNext reads a member's metadata once and keeps it for the life of
/// this process, but a member may restart with another client URL (client TLS turned on or off).
/// A member listing answers from the cache at once, and re-reads in the background the metadata
/// of each member not re-read in the last <see cref="MaxAge"/>: the next listing shows the new
/// URL. (The leader's metadata is re-read at every leader change: see RaftNode.)
/// </summary>
internal sealed class MetadataRefresh(TimeSpan requestTimeout)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    /// <summary>When each member's metadata was last asked for afresh (Stopwatch timestamps); one per peer address this node has listed.</summary>
    private readonly ConcurrentDictionary<EndPoint, long> readAt = new();

    /// <summary>Starts a background re-read of <paramref name="member"/>'s metadata unless one started within <see cref="MaxAge"/>.</summary>
    public void Touch(RaftClusterMember member, CancellationToken stopping)
    {
        long now = Stopwatch.GetTimestamp();
        long last = readAt.GetOrAdd(member.EndPoint, 0);
        if ((last != 0 && Stopwatch.GetElapsedTime(last, now) < MaxAge) || !readAt.TryUpdate(member.EndPoint, now, last))
        {
            return; // fresh enough, or another listing just started one
        }

        _ = RereadAsync(member, stopping);
    }

    private async Task RereadAsync(RaftClusterMember member, CancellationToken stopping)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(requestTimeout);
            await member.GetMetadataAsync(true, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MemberUnavailableException or IOException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Down or stopping: the cache keeps what it had; a later listing tries again.
        }
    }
}
