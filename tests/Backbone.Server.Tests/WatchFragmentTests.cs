using Backbone.Client;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Server.Tests;

/// <summary>etcd's watch fragmentation: a response over the request limit is split when the watch asked for it.</summary>
public sealed class WatchFragmentTests
{
    private const int ValueBytes = 1024 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeHistoryIsFragmentedOnlyWhenAsked(bool fragment)
    {
        await using TestNode node = await TestNode.StartAsync();
        using BackboneClient client = node.Client();
        for (int i = 0; i < 3; i++)
        {
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"big/{i}"), Value = ByteString.CopyFrom(new byte[ValueBytes]) });
        }

        List<WatchResponse> responses = [];
        using CancellationTokenSource deadline = new(TimeSpan.FromSeconds(30));
        WatchCreateRequest create = new()
        {
            Key = ByteString.CopyFromUtf8("big/"),
            RangeEnd = ByteString.CopyFromUtf8("big0"),
            StartRevision = 1,
            Fragment = fragment,
        };
        await foreach (WatchResponse response in client.WatchAsync(create, deadline.Token))
        {
            responses.Add(response);
            if (responses.Sum(r => r.Events.Count) == 3 && !response.Fragment)
            {
                break;
            }
        }

        Assert.True(responses[0].Created);
        List<WatchResponse> withEvents = [.. responses.Where(r => r.Events.Count > 0)];
        Assert.Equal(["big/0", "big/1", "big/2"], withEvents.SelectMany(r => r.Events).Select(e => e.Kv.Key.ToStringUtf8()));
        if (fragment)
        {
            Assert.True(withEvents.Count > 1);
            Assert.All(withEvents[..^1], r => Assert.True(r.Fragment)); // every part but the last says "more follows"
            Assert.False(withEvents[^1].Fragment);
            Assert.All(withEvents, r => Assert.True(r.CalculateSize() <= 2 * ValueBytes));
        }
        else
        {
            Assert.Single(withEvents); // history comes as one response when fragments were not asked for
            Assert.False(withEvents[0].Fragment);
        }
    }
}
