using System.Security.Cryptography;
using Backbone.Api.Peer;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// The joining side: asks a member (any; followers pass it to the leader) to add this node,
/// proving the token without sending its secret, and checks that the answer comes from the
/// cluster the token names (CA digest and the answer's HMAC). Transient refusals (no leader yet,
/// catch-up too slow) are retried until <see cref="Deadline"/>; a refused token is final.
/// </summary>
public static class ClusterJoin
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public sealed record Joined(ulong ClusterId, string CaCertificatePem, string NodeCertificatePem, IReadOnlyList<string> MemberClientUrls);

    public static async Task<Joined> JoinAsync(GrpcPeerLink link, string memberAddress, JoinToken token, JoinRole role,
        NodeIdentity identity, string peerAddress, string clientUrl, NodeKeys keys, Action<string> note, CancellationToken cancellationToken)
    {
        string url = memberAddress.Contains("://", StringComparison.Ordinal) ? memberAddress : "http://" + memberAddress;
        string secret = token.Secret;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        string? lastProblem = null;
        while (true)
        {
            JoinRequest request = new()
            {
                Name = identity.Name,
                MemberId = identity.MemberId,
                PeerAddress = peerAddress,
                ClientUrl = clientUrl,
                Role = role == JoinRole.Manager ? "manager" : "worker",
                SigningRequest = Google.Protobuf.ByteString.CopyFrom(keys.SigningRequest(identity.Name)),
                UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Nonce = Google.Protobuf.ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
                CaDigest = token.CaDigest,
            };
            request.Proof = Google.Protobuf.ByteString.CopyFrom(JoinProof.ForRequest(secret, request));
            try
            {
                JoinResponse response = await link.ClientFor(url).JoinAsync(request, cancellationToken: deadline.Token).ConfigureAwait(false);
                return Verify(token, secret, request, response);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !deadline.IsCancellationRequested)
            {
                if (lastProblem != e.Status.Detail)
                {
                    lastProblem = e.Status.Detail;
                    note($"join: {memberAddress} answered: {e.Status.Detail}; retrying");
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unimplemented && e.Status.Detail.Contains("Peer", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{memberAddress} does not serve Backbone's join service: pass a manager's client address (HOST:2379), not its peer port");
            }
            catch (RpcException e) when (!deadline.IsCancellationRequested)
            {
                throw new InvalidOperationException($"join failed: {e.Status.Detail}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"join did not complete in {Deadline.TotalSeconds:0} s; last answer from {memberAddress}: {lastProblem ?? "none"}");
            }

            await Task.Delay(500, deadline.Token).ConfigureAwait(false);
        }
    }

    private static Joined Verify(JoinToken token, string secret, JoinRequest request, JoinResponse response)
    {
        if (!JoinProof.Matches(JoinProof.ForResponse(secret, request, response), response.Proof.Span))
        {
            throw new InvalidOperationException("the join answer is not signed with the token's secret: refusing to trust it");
        }

        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(response.CaCertificatePem);
        if (ClusterCa.DigestOf(ca) != token.CaDigest)
        {
            throw new InvalidOperationException("the cluster's CA does not match the token's digest: refusing to join it");
        }

        return new Joined(response.ClusterId, response.CaCertificatePem, response.NodeCertificatePem, [.. response.MemberClientUrls]);
    }
}
