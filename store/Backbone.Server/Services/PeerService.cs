using System.Net;
using System.Text;
using Backbone.Api.Peer;
using Backbone.Server.Cluster;
using Backbone.Store;
using Backbone.Store.Model;
using Backbone.Store.Raft;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Proposal = Backbone.Store.Raft.Proposal;

namespace Backbone.Server.Services;

/// <summary>
/// Member-to-member calls beside Raft: proposals and read-index requests forwarded by followers,
/// and joins. Mapped only on cluster members.
/// </summary>
public sealed partial class PeerService(NodeContext node, RaftCommandLog log, GrpcPeerLink link, RaftView view, IHostApplicationLifetime lifetime) : Peer.PeerBase
{
    private static readonly byte[] NoncePrefix = Encoding.UTF8.GetBytes("/bb/cluster/join-nonces/");

    public override async Task<ForwardResponse> Forward(ForwardRequest request, ServerCallContext context)
    {
        var proposals = new Proposal[request.Proposals.Count];
        for (int i = 0; i < proposals.Length; i++)
        {
            Api.Peer.Proposal p = request.Proposals[i];
            proposals[i] = new Proposal(p.Origin, p.Sequence, p.Command.Memory);
        }

        ForwardOutcome outcome = await log.AcceptForwardedAsync(proposals, context.CancellationToken).ConfigureAwait(false);
        return new ForwardResponse
        {
            Outcome = outcome switch
            {
                ForwardOutcome.Committed => ForwardResponse.Types.Outcome.Committed,
                ForwardOutcome.NotLeader => ForwardResponse.Types.Outcome.NotLeader,
                _ => ForwardResponse.Types.Outcome.LeaderChanged,
            },
        };
    }

    public override async Task<ReadIndexResponse> ReadIndex(ReadIndexRequest request, ServerCallContext context)
    {
        long? index = await log.Node.ReadIndexForFollowerAsync(request.KnownCommitIndex, context.CancellationToken).ConfigureAwait(false);
        return new ReadIndexResponse { IsLeader = index is not null, Index = index ?? 0 };
    }

    public override async Task<JoinResponse> Join(JoinRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).JoinAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        ClusterSecrets secrets = await SecretsAsync(cancellationToken).ConfigureAwait(false);
        ClusterCa ca = secrets.Ca();
        if (!string.Equals(request.CaDigest, ca.Digest, StringComparison.Ordinal))
        {
            throw Refused("the join token belongs to another cluster (its CA digest does not match this cluster's CA)");
        }

        // The secret that verifies the proof says which role the token grants.
        (JoinRole role, string secret) = JoinProof.Matches(JoinProof.ForRequest(secrets.ManagerSecret, request), request.Proof.Span) ? (JoinRole.Manager, secrets.ManagerSecret)
            : JoinProof.Matches(JoinProof.ForRequest(secrets.WorkerSecret, request), request.Proof.Span) ? (JoinRole.Worker, secrets.WorkerSecret)
            : throw Refused("invalid join token (get a current one on a manager: backbone swarm join-token manager|worker)");

        TimeSpan age = (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(request.UnixMs)).Duration();
        if (age > JoinProof.MaxAge)
        {
            throw Refused($"the join request is {age.TotalSeconds:0} s old or ahead (at most {JoinProof.MaxAge.TotalMinutes:0} min): replayed, or the clocks disagree");
        }

        if (!IPEndPoint.TryParse(request.PeerAddress, out IPEndPoint? peer) || peer.Port == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"peer address '{request.PeerAddress}' is not IP:PORT"));
        }

        // The nonce's record carries the identity the (authenticated) request gave: AddVoter makes it the member's record.
        var candidate = new ManagerRecord { MemberId = request.MemberId, Name = request.Name, PeerAddress = peer.ToString(), ClientUrl = request.ClientUrl };
        await RecordNonceAsync(request.Nonce.ToByteArray(), candidate.Serialize(), cancellationToken).ConfigureAwait(false);
        if (role == JoinRole.Worker)
        {
            await WorkerRecord.From(candidate).StoreAsync(node.Engine, cancellationToken).ConfigureAwait(false); // what node ls and node promote name
        }

        var response = new JoinResponse
        {
            ClusterId = secrets.ClusterId,
            CaCertificatePem = ca.CertificatePem,
            NodeCertificatePem = ca.SignNodeCertificate(request.SigningRequest.ToByteArray(), request.Name, request.MemberId, peer.Address),
            Role = role == JoinRole.Manager ? "manager" : "worker",
        };
        response.MemberClientUrls.Add(await ManagerClientUrlsAsync(cancellationToken).ConfigureAwait(false));
        response.MemberPeerAddresses.Add(log.Node.VoterAddresses.Select(voter => voter.ToString()));

        response.Proof = Google.Protobuf.ByteString.CopyFrom(JoinProof.ForResponse(secret, request, response));
        return response;
    }

    /// <summary>
    /// Second step of a manager's join, once its Raft endpoint runs with the certificate it got:
    /// the same token proof and the nonce its Join recorded (for this member id and address).
    /// </summary>
    public override async Task<AddVoterResponse> AddVoter(AddVoterRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).AddVoterAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        ClusterSecrets secrets = await SecretsAsync(cancellationToken).ConfigureAwait(false);
        if (!JoinProof.Matches(JoinProof.ForAddVoter(secrets.ManagerSecret, request), request.Proof.Span))
        {
            throw Refused("invalid manager join token");
        }

        if (!IPEndPoint.TryParse(request.PeerAddress, out IPEndPoint? peer))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"peer address '{request.PeerAddress}' is not IP:PORT"));
        }

        RangeResult recorded = await node.Engine.RangeAsync(new RangeRequest { Key = NonceKey(request.Nonce.ToByteArray()) }, cancellationToken).ConfigureAwait(false);
        ManagerRecord? candidate = recorded.Kvs.Count == 0 ? null : ManagerRecord.TryDeserialize(recorded.Kvs[0].Value);
        bool certifiedBefore = recorded.Kvs.Count > 0 && recorded.Kvs[0].Value.AsSpan().SequenceEqual(Candidate(request.MemberId, request.PeerAddress));
        if (!certifiedBefore && (candidate is null || candidate.MemberId != request.MemberId || !ManagerRecord.SameAddress(candidate.PeerAddress, request.PeerAddress)))
        {
            throw Refused("no certified join matches this member and address: run the join again");
        }

        await AddVoterOnceAsync(peer, request.PeerAddress, cancellationToken).ConfigureAwait(false);

        // Its identity, replicated, so that every manager can list it while it is down. A join
        // certified by a leader older than these records (the nonce holds no identity) is left to
        // the backfill (RaftView). A failure here must not fail a join that happened.
        if (candidate is null)
        {
            view.BackfillSoon();
        }
        else
        {
            try
            {
                await candidate.StoreAsync(node.Engine, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException)
            {
                // Leadership lost right after the change: the next leader backfills the record from the member's metadata.
            }
        }

        var response = new AddVoterResponse();
        response.MemberClientUrls.Add(await ManagerClientUrlsAsync(cancellationToken).ConfigureAwait(false));

        return response;
    }

    public override async Task<RemoveMemberResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).RemoveMemberAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        (var members, var target) = await FindManagerAsync(request.MemberId, cancellationToken).ConfigureAwait(false);

        if (target.Peer.MemberId == log.Node.Self.MemberId)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{target.Peer.Name} is the leader and cannot remove itself: stop it (another member takes over), then run node rm again"));
        }

        QuorumCheck.AfterRemoving(members, request.MemberId);
        if (!await log.Node.RemoveMemberAsync(IPEndPoint.Parse(target.Peer.PeerAddress), cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the leader could not remove {target.Peer.Name}; retry"));
        }

        try
        {
            await ManagerRecord.DeleteAsync(node.Engine, target.Peer.MemberId, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException)
        {
            // The member is out of the configuration, which is what counts; its record is no longer listed (no member
            // has its address), and a manager that joins later at that address replaces it.
        }

        return new RemoveMemberResponse { Name = target.Peer.Name, PeerAddress = target.Peer.PeerAddress };
    }

    public override async Task<EntryTermsResponse> EntryTerms(EntryTermsRequest request, ServerCallContext context)
    {
        if (!log.IsLeader)
        {
            return new EntryTermsResponse { IsLeader = false };
        }

        IReadOnlyDictionary<long, EntryMark> marks = await log.Node.MarksAsync(request.From, request.To, context.CancellationToken).ConfigureAwait(false);
        var response = new EntryTermsResponse { IsLeader = log.IsLeader, First = marks.Count == 0 ? 0 : marks.Keys.Min() };
        for (long index = response.First; marks.TryGetValue(index, out EntryMark mark); index++)
        {
            response.Terms.Add(mark.Term);
            response.Digests.Add(mark.Digest);
        }

        return response;
    }

    public override Task<LeaseRenewResponse> LeaseRenew(LeaseRenewRequest request, ServerCallContext context) =>
        Task.FromResult(log.IsLeader
            ? new LeaseRenewResponse { IsLeader = true, Ttl = node.Engine.LeaseKeepAlive(request.Id) }
            : new LeaseRenewResponse { IsLeader = false });

    /// <summary>
    /// DotNext's membership change, made safe to retry: the joiner resends AddVoter when an answer
    /// is lost or leadership moved mid-change, and a change that did commit before that makes the
    /// next attempt find the peer already in the configuration: that is success, not a refusal.
    /// </summary>
    private async Task AddVoterOnceAsync(IPEndPoint peer, string peerAddress, CancellationToken cancellationToken)
    {
        if (log.Node.VoterAddresses.Contains(peer))
        {
            return;
        }

        bool added;
        try
        {
            added = await log.Node.AddMemberAsync(peer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DotNext.Net.Cluster.Consensus.Raft.NotLeaderException
            or DotNext.Net.Cluster.Consensus.Raft.RaftCluster.ConcurrentMembershipModificationException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the leader changed, or another membership change ran, while adding {peerAddress}; retry"));
        }

        if (!added && !log.Node.VoterAddresses.Contains(peer))
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"the leader could not add {peerAddress}: it did not catch up in time (is its peer port reachable from the leader?)"));
        }
    }

    /// <summary>The voters, and the one with <paramref name="memberId"/> (NotFound when none has it).</summary>
    private async Task<(IReadOnlyList<(RaftPeer Peer, bool IsLeader, DotNext.Net.Cluster.ClusterMemberStatus Status)> Members,
        (RaftPeer Peer, bool IsLeader, DotNext.Net.Cluster.ClusterMemberStatus Status) Target)> FindManagerAsync(ulong memberId, CancellationToken cancellationToken)
    {
        var members = await view.ManagersAsync(cancellationToken).ConfigureAwait(false);
        var target = members.FirstOrDefault(m => m.Peer.MemberId == memberId);
        return target.Peer is null
            ? throw new RpcException(new Status(StatusCode.NotFound, $"no manager {memberId:x16} (see: backbone node ls)"))
            : (members, target);
    }

    /// <summary>The leader's Peer client, for calls only the leader may answer (a follower passes them on).</summary>
    private async Task<Peer.PeerClient> LeaderClientAsync(CancellationToken cancellationToken)
    {
        RaftPeer leader = await log.Node.GetLeaderAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "the cluster has no leader right now; retry"));
        return link.ClientFor(leader.ClientUrl);
    }

    private async Task<ClusterSecrets> SecretsAsync(CancellationToken cancellationToken) =>
        await ClusterSecrets.ReadAsync(node.Engine, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "the cluster is still initializing; retry the join"));

    private async Task<IEnumerable<string>> ManagerClientUrlsAsync(CancellationToken cancellationToken) =>
        (await node.Cluster.MembersAsync(cancellationToken).ConfigureAwait(false)).Select(m => m.ClientUrl).Where(url => url.Length > 0);

    /// <summary>What a nonce recorded before the records existed holds: the member id and address only.</summary>
    private static byte[] Candidate(ulong memberId, string peerAddress) => Encoding.UTF8.GetBytes($"{memberId:x16} {peerAddress}");

    private static byte[] NonceKey(byte[] nonce) => [.. NoncePrefix, .. Encoding.ASCII.GetBytes(Convert.ToHexStringLower(nonce))];

    /// <summary>Records the join's nonce with a create-only Txn: the same request cannot be used twice, on any leader.</summary>
    private async Task RecordNonceAsync(byte[] nonce, byte[] candidate, CancellationToken cancellationToken)
    {
        if (nonce.Length is < 16 or > 64)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the join nonce must be 16 to 64 bytes"));
        }

        byte[] key = NonceKey(nonce);
        TxnResult result = await node.Engine.TxnAsync(new TxnRequest
        {
            Compare = [new Compare { Key = key, Target = CompareTarget.Create, Result = CompareResult.Equal, Number = 0 }],
            Success = [new RequestOp { Put = new PutRequest { Key = key, Value = candidate } }],
        }, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Refused("this join request was already used once: replayed requests are refused");
        }
    }

    private static RpcException Refused(string why) => new(new Status(StatusCode.PermissionDenied, $"join refused: {why}"));
}
