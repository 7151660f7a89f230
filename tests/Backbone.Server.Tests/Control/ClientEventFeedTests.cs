using System.Text;
using Backbone.Control;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// The event feed a worker's DNS server follows, over a real node's Watch API: every change from
/// the start revision on (history first, then live), deletes without values, and a compacted
/// start revision as an error the caller answers with a fresh read.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientEventFeedTests
{
    private const string Prefix = "/bb/feedtest/";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EventsFromARevisionThenLiveThenCompactedIsAnError()
    {
        await using TestNode node = await TestNode.StartAsync();
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://{node.Endpoint}");
        var kv = new KV.KVClient(channel);
        long first = (await kv.PutAsync(Put("a", "1"))).Header.Revision;
        var feed = new ClientEventFeed(channel.CreateCallInvoker());

        using var cancel = new CancellationTokenSource(Patience);
        await using IAsyncEnumerator<EventBatch> events = feed.EventsAsync(Prefix, first, cancel.Token).GetAsyncEnumerator(cancel.Token);
        KeyEvent history = await NextAsync(events);
        Assert.Equal((Prefix + "a", "1", false), (history.Key, Encoding.UTF8.GetString(history.Value.Span), history.IsDelete));

        await kv.PutAsync(Put("b", "2"));
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/bb/elsewhere"), Value = ByteString.CopyFromUtf8("x") }); // outside the prefix
        long deleted = (await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(Prefix + "a") })).Header.Revision;
        KeyEvent put = await NextAsync(events);
        Assert.Equal((Prefix + "b", "2", false), (put.Key, Encoding.UTF8.GetString(put.Value.Span), put.IsDelete));
        KeyEvent delete = await NextAsync(events);
        Assert.Equal((Prefix + "a", 0, true), (delete.Key, delete.Value.Length, delete.IsDelete));
        Assert.Equal(deleted, events.Current.Revision);

        await kv.CompactAsync(new CompactionRequest { Revision = deleted });
        InvalidOperationException compacted = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (EventBatch _ in feed.EventsAsync(Prefix, first, cancel.Token))
            {
            }
        });
        Assert.Contains("compacted", compacted.Message, StringComparison.Ordinal);
    }

    private static PutRequest Put(string name, string value) =>
        new() { Key = ByteString.CopyFromUtf8(Prefix + name), Value = ByteString.CopyFromUtf8(value) };

    /// <summary>The next batch's single event (each write here is its own revision).</summary>
    private static async Task<KeyEvent> NextAsync(IAsyncEnumerator<EventBatch> events)
    {
        Assert.True(await events.MoveNextAsync(), "the watch ended");
        return Assert.Single(events.Current.Events);
    }
}
