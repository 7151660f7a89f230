using Etcdserverpb;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Observing the cluster through its client API: Status (leader, term), Range snapshots, and
/// waiting until members agree. Every call has a deadline: a paused member never answers.
/// </summary>
public sealed partial class TestCluster
{
    /// <summary>Deadline of one observation call; a healthy member answers in milliseconds.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    public async Task<StatusResponse> StatusAsync(int index) =>
        await Maintenance(index).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow + CallTimeout);

    /// <summary>Every key under <paramref name="prefix"/> as member <paramref name="index"/> returns it.</summary>
    public async Task<KeySnapshot> SnapshotAsync(int index, string prefix, bool serializable) =>
        KeySnapshot.From(index, await Kv(index).RangeAsync(KeySnapshot.PrefixRange(prefix, serializable), deadline: DateTime.UtcNow + CallTimeout));

    /// <summary>
    /// Waits until every serving member reports the same leader (one of the serving members) and
    /// the same Raft term, and returns the leader's index. This is what the tests about Status
    /// assert; to merely find the leader before a fault, use <see cref="WaitForLeaderAsync"/>.
    /// </summary>
    public async Task<int> WaitForAgreedLeaderAsync(TimeSpan timeout)
    {
        int leader = -1;
        string last = "no answer yet";
        await Poll.UntilAsync(async () =>
        {
            (int[] serving, StatusResponse[] statuses) = await ServingStatusesAsync();
            last = Describe(serving, statuses);
            ulong leaderId = statuses[0].Leader;
            leader = IndexOf(leaderId);
            return leaderId != 0
                && statuses.All(s => s.Leader == leaderId && s.RaftTerm == statuses[0].RaftTerm)
                && leader >= 0 && members[leader].IsServing;
        }, timeout, () => "serving members do not agree on one leader: " + last + "\n" + Logs()).ConfigureAwait(false);
        return leader;
    }

    /// <summary>
    /// Waits until a majority of the cluster's members name the same serving member as leader in
    /// the same term and no serving member names another, and returns the leader's index. Members
    /// that name no leader (0) are tolerated here: see <see cref="WaitForAgreedLeaderAsync"/>.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        int leader = -1;
        string last = "no answer yet";
        int majority = (members.Count / 2) + 1;
        await Poll.UntilAsync(async () =>
        {
            (int[] serving, StatusResponse[] statuses) = await ServingStatusesAsync();
            last = Describe(serving, statuses);
            StatusResponse[] naming = [.. statuses.Where(s => s.Leader != 0)];
            if (naming.Length < majority)
            {
                return false;
            }

            ulong leaderId = naming[0].Leader;
            leader = IndexOf(leaderId);
            return naming.All(s => s.Leader == leaderId && s.RaftTerm == naming[0].RaftTerm) && leader >= 0 && members[leader].IsServing;
        }, timeout, () => "no leader named by a majority: " + last + "\n" + Logs()).ConfigureAwait(false);
        return leader;
    }

    /// <summary>
    /// Waits until every serving member's local (serializable) view of <paramref name="prefix"/>
    /// equals a linearizable read of it, and returns that view. Call it once writes have stopped.
    /// </summary>
    public async Task<KeySnapshot> WaitForSameDataAsync(string prefix, TimeSpan timeout)
    {
        KeySnapshot? agreed = null;
        string last = "no answer yet";
        await Poll.UntilAsync(async () =>
        {
            int[] serving = [.. Serving];
            KeySnapshot committed = await SnapshotAsync(serving[0], prefix, serializable: false);
            foreach (int member in serving)
            {
                KeySnapshot local = await SnapshotAsync(member, prefix, serializable: true);
                if (!local.SameKeysAs(committed))
                {
                    last = $"linearizable read on #{committed.Member} vs local read on #{member}: {committed.DescribeDifference(local)}\n"
                        + await DescribeStatusesAsync();
                    return false;
                }
            }

            agreed = committed;
            return true;
        }, timeout, () => "members' data did not converge: " + last + "\n" + Logs()).ConfigureAwait(false);
        return agreed!;
    }

    /// <summary>
    /// For messages: per serving member, the leader it names, term, Raft indexes and revision, or
    /// why it did not answer. Never throws for a member's failure.
    /// </summary>
    public async Task<string> DescribeStatusesAsync()
    {
        string[] lines = await Task.WhenAll(Serving.Select(async m =>
        {
            try
            {
                return Describe([m], [await StatusAsync(m)]);
            }
            catch (Grpc.Core.RpcException e)
            {
                return $"{members[m].Name}: no status ({e.StatusCode})";
            }
        }));
        return string.Join("; ", lines);
    }

    private async Task<(int[] Serving, StatusResponse[] Statuses)> ServingStatusesAsync()
    {
        int[] serving = [.. Serving];
        return (serving, await Task.WhenAll(serving.Select(StatusAsync)));
    }

    private string Describe(int[] serving, StatusResponse[] statuses) => string.Join("; ", serving.Select((m, i) =>
        $"{members[m].Name} ({members[m].MemberId:x}): leader {statuses[i].Leader:x} term {statuses[i].RaftTerm} "
        + $"raft index {statuses[i].RaftIndex} applied {statuses[i].RaftAppliedIndex} revision {statuses[i].Header.Revision}"));
}
