using System.Net;
using Backbone.Api.Peer;
using Backbone.Server.Cluster;
using Backbone.Store;
using Backbone.Store.Model;
using Backbone.Store.Raft;
using Grpc.Core;

namespace Backbone.Server.Services;

/// <summary>
/// Role changes, answered by the leader (a follower passes them on): <c>node promote</c> records
/// that a worker is to become a manager, the worker then asks for its vote
/// (<see cref="CompletePromotion"/>); <c>node demote</c> takes a manager out of the voters and
/// records it as a worker. Removing a voter never loses quorum silently (<see cref="QuorumCheck"/>).
/// </summary>
public sealed partial class PeerService
{
    public override async Task<PromoteResponse> Promote(PromoteRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).PromoteAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        WorkerRecord worker = await WorkerRecord.ReadAsync(node.Engine, request.MemberId, linearizable: true, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no worker {request.MemberId:x16} (backbone node ls lists the workers)"));
        if (!worker.PromotionPending)
        {
            // The configuration the worker starts Raft with: the voters now (the leader adds it to them).
            await new WorkerRecord
            {
                MemberId = worker.MemberId,
                Name = worker.Name,
                PeerAddress = worker.PeerAddress,
                ClientUrl = worker.ClientUrl,
                PromoteTo = [.. log.Node.VoterAddresses.Select(voter => voter.ToString()!)],
            }.StoreAsync(node.Engine, cancellationToken).ConfigureAwait(false);
        }

        return new PromoteResponse { Name = worker.Name };
    }

    public override async Task<AddVoterResponse> CompletePromotion(CompletePromotionRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).CompletePromotionAsync(request, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }

        ClusterSecrets secrets = await SecretsAsync(cancellationToken).ConfigureAwait(false);
        if (PromotionProof.Check(secrets.Ca(), request) is { } forged)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"promotion refused: {forged}"));
        }

        if (!IPEndPoint.TryParse(request.PeerAddress, out IPEndPoint? peer) || peer.Port == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"peer address '{request.PeerAddress}' is not IP:PORT"));
        }

        WorkerRecord? worker = await WorkerRecord.ReadAsync(node.Engine, request.MemberId, linearizable: true, cancellationToken).ConfigureAwait(false);
        if (worker is null || !worker.PromotionPending)
        {
            // A retry after the change committed finds the record gone and the member a voter: success.
            bool alreadyVoter = (await ManagerRecord.ReadAllAsync(node.Engine, linearizable: true, cancellationToken).ConfigureAwait(false))
                .Any(m => m.Record.MemberId == request.MemberId && ManagerRecord.SameAddress(m.Record.PeerAddress, request.PeerAddress))
                && log.Node.VoterAddresses.Contains(peer);
            if (!alreadyVoter)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"no promotion is recorded for member {request.MemberId:x16}: run `backbone node promote NAME` on a manager first"));
            }
        }
        else
        {
            if (!ManagerRecord.SameAddress(worker.PeerAddress, request.PeerAddress))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"promotion refused: {worker.Name} joined with peer address {worker.PeerAddress}, not {request.PeerAddress}"));
            }

            await AddVoterOnceAsync(peer, request.PeerAddress, cancellationToken).ConfigureAwait(false);
            await worker.ToManager().StoreAsync(node.Engine, cancellationToken).ConfigureAwait(false);
            await node.Engine.DeleteRangeAsync(new DeleteRangeRequest { Key = WorkerRecord.KeyOf(worker.MemberId) }, cancellationToken).ConfigureAwait(false);
        }

        var response = new AddVoterResponse();
        response.MemberClientUrls.Add(await ManagerClientUrlsAsync(cancellationToken).ConfigureAwait(false));
        return response;
    }

    public override async Task<DemoteResponse> Demote(DemoteRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!log.IsLeader)
        {
            return await (await LeaderClientAsync(cancellationToken).ConfigureAwait(false)).DemoteAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        (var members, var target) = await FindManagerAsync(request.MemberId, cancellationToken).ConfigureAwait(false);
        QuorumCheck.AfterRemoving(members, request.MemberId);
        if (target.Peer.MemberId == log.Node.Self.MemberId)
        {
            // A leader cannot take away its own vote while it leads: it steps down and the next leader does it.
            return await LeaderStepDown.PassOnAsync(log.Node, link, leader => leader.DemoteAsync(request, cancellationToken: cancellationToken).ResponseAsync, cancellationToken)
                .ConfigureAwait(false);
        }

        // The worker record first: the demoted node reads it from its own store (it is still a
        // voter, so it receives it) and turns itself into a worker once it is out of the voters.
        await WorkerRecord.From(ManagerRecord.Of(target.Peer)).StoreAsync(node.Engine, cancellationToken).ConfigureAwait(false);
        if (!await log.Node.RemoveMemberAsync(IPEndPoint.Parse(target.Peer.PeerAddress), cancellationToken).ConfigureAwait(false))
        {
            // Still a manager: it must not be listed as a worker too.
            await node.Engine.DeleteRangeAsync(new DeleteRangeRequest { Key = WorkerRecord.KeyOf(target.Peer.MemberId) }, cancellationToken).ConfigureAwait(false);
            throw new RpcException(new Status(StatusCode.Unavailable, $"the leader could not remove {target.Peer.Name} from the voters; retry"));
        }

        await ManagerRecord.DeleteAsync(node.Engine, target.Peer.MemberId, cancellationToken).ConfigureAwait(false);
        return new DemoteResponse { Name = target.Peer.Name };
    }
}
