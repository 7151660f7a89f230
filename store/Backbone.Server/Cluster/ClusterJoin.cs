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

    public sealed record Certified(ulong ClusterId, string CaCertificatePem, string NodeCertificatePem, byte[] Nonce, IReadOnlyList<string> ManagerClientUrls, JoinRole Role,
        IReadOnlyList<string> VoterPeerAddresses);

    /// <summary>Step 2: with Raft running on the new certificate, asks to be added as a voter.</summary>
    public static Task<IReadOnlyList<string>> AddVoterAsync(GrpcPeerLink link, string memberAddress, JoinToken token, Certified certified,
        NodeIdentity identity, string peerAddress, Action<string> note, CancellationToken cancellationToken)
    {
        var request = new AddVoterRequest
        {
            MemberId = identity.MemberId,
            PeerAddress = peerAddress,
            Nonce = Google.Protobuf.ByteString.CopyFrom(certified.Nonce),
        };
        request.Proof = Google.Protobuf.ByteString.CopyFrom(JoinProof.ForAddVoter(token.Secret, request));
        return RetryAsync<IReadOnlyList<string>>(memberAddress, note, async (client, deadline) =>
        {
            AddVoterResponse response = await client.AddVoterAsync(request, cancellationToken: deadline).ConfigureAwait(false);
            return [.. response.MemberClientUrls];
        }, link, cancellationToken);
    }

    /// <summary>
    /// A promoted worker's join, once its Raft endpoint runs: asks the leader (through a manager)
    /// for its vote, proving itself with its node key and certificate (<see cref="PromotionProof"/>).
    /// </summary>
    public static Task<IReadOnlyList<string>> CompletePromotionAsync(GrpcPeerLink link, string memberAddress, NodeKeys keys, NodeIdentity identity,
        string peerAddress, Action<string> note, CancellationToken cancellationToken) =>
        RetryAsync<IReadOnlyList<string>>(memberAddress, note, async (client, deadline) =>
        {
            // Signed anew on each try: the proof carries the time.
            AddVoterResponse response = await client.CompletePromotionAsync(PromotionProof.Sign(keys, identity.MemberId, peerAddress), cancellationToken: deadline)
                .ConfigureAwait(false);
            return [.. response.MemberClientUrls];
        }, link, cancellationToken);

    /// <summary>Step 1: proves the token and gets this node's key certified by the cluster CA.</summary>
    public static async Task<Certified> CertifyAsync(GrpcPeerLink link, string memberAddress, JoinToken token,
        NodeIdentity identity, string peerAddress, string clientUrl, NodeKeys keys, Action<string> note, CancellationToken cancellationToken)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(16);
        JoinRequest request = new()
        {
            Name = identity.Name,
            MemberId = identity.MemberId,
            PeerAddress = peerAddress,
            ClientUrl = clientUrl,
            SigningRequest = Google.Protobuf.ByteString.CopyFrom(keys.SigningRequest(identity.Name)),
            UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Nonce = Google.Protobuf.ByteString.CopyFrom(nonce),
            CaDigest = token.CaDigest,
        };
        request.Proof = Google.Protobuf.ByteString.CopyFrom(JoinProof.ForRequest(token.Secret, request));
        JoinResponse response = await RetryAsync(memberAddress, note,
            (client, deadline) => client.JoinAsync(request, cancellationToken: deadline).ResponseAsync, link, cancellationToken).ConfigureAwait(false);
        return Verify(token, request, response, nonce);
    }

    /// <summary>
    /// Calls a member until it answers, retrying what is transient (no leader yet, slow catch-up)
    /// until <see cref="Deadline"/>. A refusal is final. The same request is resent as is: a
    /// Join that reached the leader but whose answer was lost is refused as replayed, and the
    /// operator runs the join again (a new nonce).
    /// </summary>
    private static async Task<T> RetryAsync<T>(string memberAddress, Action<string> note, Func<Peer.PeerClient, CancellationToken, Task<T>> call,
        GrpcPeerLink link, CancellationToken cancellationToken)
    {
        string url = memberAddress.Contains("://", StringComparison.Ordinal) ? memberAddress : "http://" + memberAddress;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        string? lastProblem = null;
        while (true)
        {
            try
            {
                return await call(link.JoinClientFor(url), deadline.Token).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.Status.DebugException is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError })
            {
                throw new InvalidOperationException(
                    $"{memberAddress} does not speak the client API's HTTP/2: pass a manager's client address (HOST:2379), not its peer port"
                    + (url.StartsWith("http://", StringComparison.Ordinal) ? "; if its client port serves TLS, pass --join https://HOST:PORT" : ""));
            }
            catch (RpcException e) when (e.Status.DebugException is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
            {
                throw new InvalidOperationException($"{memberAddress} does not answer TLS: if its client port serves cleartext, pass --join HOST:PORT (no https://)");
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !deadline.IsCancellationRequested)
            {
                if (lastProblem != e.Status.Detail)
                {
                    lastProblem = e.Status.Detail;
                    note($"join: {memberAddress} answered: {e.Status.Detail}; retrying");
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Internal or StatusCode.Unimplemented)
            {
                throw new InvalidOperationException(
                    $"{memberAddress} does not serve Backbone's join service ({e.Status.Detail}): pass a manager's client address (HOST:2379), not its peer port");
            }
            catch (RpcException e) when (!deadline.IsCancellationRequested)
            {
                throw new InvalidOperationException($"join failed: {e.Status.Detail}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"join did not complete in {Deadline.TotalSeconds:0} s; last answer from {memberAddress}: {lastProblem ?? "none"}{TlsHint(url)}");
            }

            try
            {
                await Task.Delay(500, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"join did not complete in {Deadline.TotalSeconds:0} s; last answer from {memberAddress}: {lastProblem ?? "none"}{TlsHint(url)}");
            }
        }
    }

    /// <summary>For a cleartext join that got nowhere: the managers may serve TLS.</summary>
    private static string TlsHint(string url) =>
        url.StartsWith("http://", StringComparison.Ordinal) ? " (if the managers' client ports serve TLS, pass --join https://HOST:PORT)" : "";

    private static Certified Verify(JoinToken token, JoinRequest request, JoinResponse response, byte[] nonce)
    {
        if (!JoinProof.Matches(JoinProof.ForResponse(token.Secret, request, response), response.Proof.Span))
        {
            throw new InvalidOperationException("the join answer is not signed with the token's secret: refusing to trust it");
        }

        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(response.CaCertificatePem);
        if (ClusterCa.DigestOf(ca) != token.CaDigest)
        {
            throw new InvalidOperationException("the cluster's CA does not match the token's digest: refusing to join it");
        }

        JoinRole role = response.Role switch
        {
            "manager" => JoinRole.Manager,
            "worker" => JoinRole.Worker,
            _ => throw new InvalidOperationException($"the join answer names an unknown role '{response.Role}': is this node older than the cluster?"),
        };
        return new Certified(response.ClusterId, response.CaCertificatePem, response.NodeCertificatePem, nonce, [.. response.MemberClientUrls], role,
            [.. response.MemberPeerAddresses]);
    }
}
