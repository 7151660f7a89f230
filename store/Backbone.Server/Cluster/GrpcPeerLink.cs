using System.Collections.Concurrent;
using Backbone.Api.Peer;
using Backbone.Store.Raft;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Proposal = Backbone.Store.Raft.Proposal;

namespace Backbone.Server.Cluster;

/// <summary>
/// <see cref="IPeerLink"/> over the members' Peer gRPC service on their client ports: one HTTP/2
/// channel per member, kept for the life of the node, and on it one <see cref="PeerStream"/> for
/// read indexes. A member whose client URL is https:// is called over TLS as
/// <see cref="MemberTls"/> says (this node's certificate, the cluster CA's trust); an http:// one
/// in cleartext.
/// </summary>
public sealed class GrpcPeerLink(MemberTls tls) : IPeerLink, IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> channels = new(StringComparer.Ordinal);

    /// <summary>Channels for a join's calls, which cannot check a server certificate yet (see <see cref="MemberTls.JoinOptions"/>).</summary>
    private readonly ConcurrentDictionary<string, GrpcChannel> joinChannels = new(StringComparer.Ordinal);

    /// <summary>The peer stream to each member's client URL, over its channel; opened at its first call.</summary>
    private readonly ConcurrentDictionary<string, PeerStream> streams = new(StringComparer.Ordinal);

    public async Task<ForwardOutcome> ForwardAsync(RaftPeer leader, IReadOnlyList<Proposal> proposals, CancellationToken cancellationToken)
    {
        var request = new ForwardRequest();
        foreach (Proposal p in proposals)
        {
            request.Proposals.Add(new Api.Peer.Proposal { Origin = p.Origin, Sequence = p.Sequence, Command = UnsafeByteOperations.UnsafeWrap(p.Command) });
        }

        try
        {
            ForwardResponse response = await ClientFor(leader).ForwardAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Outcome switch
            {
                ForwardResponse.Types.Outcome.Committed => ForwardOutcome.Committed,
                ForwardResponse.Types.Outcome.NotLeader => ForwardOutcome.NotLeader,
                _ => ForwardOutcome.LeaderChanged,
            };
        }
        catch (RpcException e) when (RpcFailure.NeverConnected(e))
        {
            return ForwardOutcome.NotLeader; // nothing was sent: safe to look for the leader again
        }
        catch (RpcException)
        {
            // The request may have reached the leader before the connection failed: ambiguous.
            return ForwardOutcome.LeaderChanged;
        }
    }

    /// <summary>
    /// Over the leader's peer stream (<see cref="PeerStream"/>): a follower's linearizable read
    /// costs both members a message each way instead of a call. By the unary call when the
    /// leader does not know the stream (an older release).
    /// </summary>
    public async Task<long?> ReadIndexAsync(RaftPeer leader, long knownCommitIndex, CancellationToken cancellationToken)
    {
        var request = new ReadIndexRequest { KnownCommitIndex = knownCommitIndex };
        try
        {
            PeerStreamResponse? streamed = await StreamFor(leader).CallAsync(new PeerStreamRequest { ReadIndex = request }, cancellationToken).ConfigureAwait(false);
            ReadIndexResponse response;
            if (streamed?.ReadIndex is { } answer)
            {
                response = answer;
                Interlocked.Increment(ref streamedReadIndexes);
            }
            else
            {
                response = await ClientFor(leader).ReadIndexAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref calledReadIndexes);
            }

            return response.IsLeader ? response.Index : null;
        }
        catch (RpcException)
        {
            return null; // unreachable leader: the caller looks for the leader again
        }
    }

    private long streamedReadIndexes;
    private long calledReadIndexes;

    /// <summary>Read indexes this member got from a leader as messages on its peer stream (for tests and metrics).</summary>
    public long StreamedReadIndexes => Volatile.Read(ref streamedReadIndexes);

    /// <summary>Read indexes this member got from a leader by unary calls: the leader knew no stream (for tests and metrics).</summary>
    public long CalledReadIndexes => Volatile.Read(ref calledReadIndexes);

    public async Task<IReadOnlyDictionary<long, EntryMark>?> EntryMarksAsync(RaftPeer leader, long from, long to, CancellationToken cancellationToken)
    {
        EntryTermsResponse response = await ClientFor(leader).EntryTermsAsync(new EntryTermsRequest { From = from, To = to }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.IsLeader)
        {
            return null;
        }

        var marks = new Dictionary<long, EntryMark>(response.Terms.Count);
        bool digests = response.Digests.Count == response.Terms.Count;
        for (int i = 0; i < response.Terms.Count; i++)
        {
            marks[response.First + i] = new EntryMark(response.Terms[i], digests ? response.Digests[i] : 0);
        }

        return marks;
    }

    /// <summary>The Peer client of a member's client URL.</summary>
    public Peer.PeerClient ClientFor(string clientUrl) => new(ChannelFor(clientUrl));

    /// <summary>The channel to a member's client URL (its etcd services too).</summary>
    public GrpcChannel ChannelFor(string clientUrl) =>
        channels.GetOrAdd(clientUrl, url => Open(url, IsHttps(url) ? tls.ClientOptions() : null));

    /// <summary>The Peer client for a join's calls (Join, AddVoter) to the member at <paramref name="clientUrl"/>.</summary>
    public Peer.PeerClient JoinClientFor(string clientUrl) =>
        IsHttps(clientUrl) ? new(joinChannels.GetOrAdd(clientUrl, url => Open(url, tls.JoinOptions()))) : ClientFor(clientUrl);

    public void Dispose()
    {
        foreach (PeerStream stream in streams.Values)
        {
            stream.Dispose(); // before the channels it runs on
        }

        foreach (GrpcChannel channel in channels.Values.Concat(joinChannels.Values))
        {
            channel.Dispose();
        }
    }

    private static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static GrpcChannel Open(string url, System.Net.Security.SslClientAuthenticationOptions? ssl) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = null,
        MaxSendMessageSize = null,
        ThrowOperationCanceledOnCancellation = true, // our deadlines surface as cancellation, not as an RPC error
        HttpHandler = MemberTls.Handler(ssl), // TLS or not, with keep-alive pings: a frozen member's calls fail instead of hanging
        DisposeHttpClient = true, // the handler is this channel's alone
    });

    /// <summary>The stream to <paramref name="peer"/>, made once per client URL (a read index must not allocate a client each time).</summary>
    private PeerStream StreamFor(RaftPeer peer) =>
        string.IsNullOrEmpty(peer.ClientUrl)
            ? throw new InvalidOperationException($"member {peer.PeerAddress} published no client URL")
            : streams.GetOrAdd(peer.ClientUrl, static (url, link) => new PeerStream(link.ClientFor(url)), this);

    private Peer.PeerClient ClientFor(RaftPeer peer) =>
        string.IsNullOrEmpty(peer.ClientUrl)
            ? throw new InvalidOperationException($"member {peer.PeerAddress} published no client URL")
            : ClientFor(peer.ClientUrl);
}
