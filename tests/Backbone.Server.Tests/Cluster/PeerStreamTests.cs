using Backbone.Api.Peer;
using Grpc.Core;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The leader's end of <c>Peer.Stream</c>, driven by a caller that does not wait for answers (a
/// follower keeps one read index in flight; this sends many more than the 256 the leader works
/// on at once, each of which costs a replication round because the caller claims to know no
/// commit index): every message is answered exactly once, by its id, and what the leader does not
/// know gets the empty answer that sends a newer follower to the unary call. Whether the bound
/// was reached is not observable from outside; a bound that lost or stalled answers would fail
/// this test.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerStreamTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryMessageIsAnsweredOnceByItsIdEvenPastTheInFlightBound()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbpsmsg");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var peer = new Peer.PeerClient(cluster.Channel(leader));
        using var stream = peer.Stream(deadline: DateTime.UtcNow + CallTimeout);

        const int Messages = 1000; // the leader works on at most 256 at once
        Task sending = Task.Run(async () =>
        {
            for (ulong id = 1; id <= Messages; id++)
            {
                // Every tenth message carries no call: what an older leader would see from a newer follower's unknown call.
                PeerStreamRequest request = id % 10 == 0
                    ? new PeerStreamRequest { Id = id }
                    : new PeerStreamRequest { Id = id, ReadIndex = new ReadIndexRequest { KnownCommitIndex = 0 } };
                await stream.RequestStream.WriteAsync(request);
            }

            await stream.RequestStream.CompleteAsync();
        });

        var answered = new Dictionary<ulong, PeerStreamResponse>();
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            PeerStreamResponse answer = stream.ResponseStream.Current;
            Assert.True(answered.TryAdd(answer.Id, answer), $"message {answer.Id} was answered twice");
        }

        await sending;
        Assert.Equal(StatusCode.OK, stream.GetStatus().StatusCode);
        Assert.Equal(Messages, answered.Count);
        int refused = 0;
        for (ulong id = 1; id <= Messages; id++)
        {
            PeerStreamResponse answer = answered[id];
            if (id % 10 == 0)
            {
                Assert.Equal(PeerStreamResponse.AnswerOneofCase.None, answer.AnswerCase);
            }
            else if (answer.ReadIndex.IsLeader)
            {
                Assert.True(answer.ReadIndex.Index > 0, $"message {id}: read index {answer.ReadIndex.Index}");
            }
            else
            {
                refused++;
            }
        }

        if (refused > 0)
        {
            // Only a leader that lost its leadership meanwhile (a busy machine) may say it does not lead.
            int now = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            Assert.True(now != leader, $"{refused} read indexes answered \"not leader\" by {cluster[leader].Name}, which still leads\n{cluster.Logs()}");
        }

        output.WriteLine($"{Messages} messages sent without waiting, {answered.Count} answered ({refused} \"not leader\"), read index {answered[1].ReadIndex.Index}");
    }
}
