using System.Globalization;
using System.Text;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// Holds a member's Raft log repair (<see cref="Store.Raft.LogRepair"/>) until cutting the log
/// cannot lose a copy of anything committed. Before its divergence was found, the member ran
/// Raft and may have acknowledged the leader's entries that the cut deletes on it; a leader may
/// have counted that acknowledgement as one of a quorum's copies. So the cut waits until a
/// majority of all voters, counting only the others, has applied every entry up to the last one
/// this member's log holds: whatever was committed there is then on a quorum without this member.
/// The member is stopped meanwhile (it acknowledges nothing more), and it nudges the log forward
/// with a small write through another member when the others are up but have not yet reached that
/// entry (its own lost entries can put its log ahead of theirs, and an idle cluster would never
/// get there). With too few other members up, it waits and says so: cutting then could lose a
/// write, and the cluster has no quorum without this member anyway.
/// </summary>
public static class RepairGate
{
    /// <summary>Where a waiting member writes its nudges: one key per member, its last repair.</summary>
    public const string KeyPrefix = "/bb/cluster/repairs/";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RepeatNote = TimeSpan.FromSeconds(10);

    /// <summary>How the others stand: voters in the configuration, how many of the others hold the entry, how many more are up.</summary>
    public sealed record Survey(int Voters, int Holding, int Behind, string? ReachedVia)
    {
        public int Needed => (Voters / 2) + 1;

        public bool Safe => Voters > 0 && Holding >= Needed;

        /// <summary>Enough others are up that writes will carry them to the entry.</summary>
        public bool CanCatchUp => Voters > 0 && Holding + Behind >= Needed;
    }

    /// <summary>
    /// Returns once a majority of voters other than <paramref name="self"/> has applied entry
    /// <paramref name="mustHold"/>. <paramref name="knownClientUrls"/> are where to find the cluster.
    /// </summary>
    public static async Task WaitUntilSafeAsync(GrpcPeerLink link, IReadOnlyCollection<string> knownClientUrls, ulong self, string selfClientUrl,
        long mustHold, Action<string> note, CancellationToken cancellationToken)
    {
        string? lastSaid = null;
        DateTimeOffset saidAt = DateTimeOffset.MinValue;
        int nudges = 0;
        while (true)
        {
            Survey survey = await SurveyAsync(link, knownClientUrls, self, selfClientUrl, mustHold, cancellationToken).ConfigureAwait(false);
            if (survey.Safe)
            {
                note($"log repair: {survey.Holding} other managers of {survey.Voters} hold entry {mustHold} (after {nudges} nudges): cutting this member's log is safe");
                return;
            }

            string said = survey.Voters == 0
                ? $"log repair waits: no manager answers at {string.Join(", ", knownClientUrls)}; start the other managers"
                : $"log repair waits until {survey.Needed} other managers of {survey.Voters} hold entry {mustHold} (now {survey.Holding}, "
                  + (survey.CanCatchUp ? "catching up)" : $"too few up: start the stopped managers)");
            if (said != lastSaid || DateTimeOffset.UtcNow - saidAt > RepeatNote)
            {
                note(said);
                (lastSaid, saidAt) = (said, DateTimeOffset.UtcNow);
            }

            if (survey.CanCatchUp && survey.ReachedVia is { } via && await NudgeAsync(link, via, self, mustHold, cancellationToken).ConfigureAwait(false))
            {
                nudges++;
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asks the first member that answers for the voters, then every other voter for its applied entry.</summary>
    public static async Task<Survey> SurveyAsync(GrpcPeerLink link, IReadOnlyCollection<string> knownClientUrls, ulong self, string selfClientUrl,
        long mustHold, CancellationToken cancellationToken)
    {
        MemberListResponse? members = null;
        foreach (string url in knownClientUrls.Where(u => u != selfClientUrl))
        {
            members = await CallAsync(token => new Etcdserverpb.Cluster.ClusterClient(link.ChannelFor(url))
                .MemberListAsync(new MemberListRequest(), cancellationToken: token).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (members is not null)
            {
                break;
            }
        }

        if (members is null)
        {
            return new Survey(0, 0, 0, null);
        }

        int holding = 0;
        int behind = 0;
        string? reachedVia = null;
        foreach (Member member in members.Members)
        {
            string? url = member.ClientURLs.FirstOrDefault();
            if (member.ID == self || url is null || url == selfClientUrl)
            {
                continue;
            }

            StatusResponse? status = await CallAsync(token => new Maintenance.MaintenanceClient(link.ChannelFor(url))
                .StatusAsync(new StatusRequest(), cancellationToken: token).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (status is null)
            {
                continue;
            }

            reachedVia ??= url;
            if ((long)status.RaftAppliedIndex >= mustHold)
            {
                holding++;
            }
            else
            {
                behind++;
            }
        }

        return new Survey(members.Members.Count, holding, behind, reachedVia);
    }

    /// <summary>One write through another member (it forwards to the leader): moves the others' logs forward by an entry or more.</summary>
    private static async Task<bool> NudgeAsync(GrpcPeerLink link, string via, ulong self, long mustHold, CancellationToken cancellationToken)
    {
        string id = self.ToString("x16", CultureInfo.InvariantCulture);
        byte[] value = JsonSerializer.SerializeToUtf8Bytes(new { member = id, waitingFor = mustHold, at = DateTimeOffset.UtcNow });
        var put = new PutRequest { Key = ByteString.CopyFrom(Encoding.UTF8.GetBytes(KeyPrefix + id)), Value = ByteString.CopyFrom(value) };
        return await CallAsync(token => new KV.KVClient(link.ChannelFor(via)).PutAsync(put, cancellationToken: token).ResponseAsync, cancellationToken)
            .ConfigureAwait(false) is not null;
    }

    /// <summary>A call bounded by <see cref="CallTimeout"/>; null when the member does not answer or refuses (no leader, stopping).</summary>
    private static async Task<T?> CallAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
