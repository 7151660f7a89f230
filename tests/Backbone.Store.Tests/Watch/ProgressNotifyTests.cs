using Backbone.Store.Model;
using Backbone.Store.Watch;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Store.Tests.Watch;

/// <summary>progress_notify: on the engine's clock, synced watchers that asked get an empty response at the current revision.</summary>
public sealed class ProgressNotifyTests
{
    [Fact]
    public async Task OnlyWatchersThatAskedGetPeriodicProgress()
    {
        using TempDir dir = new();
        FakeTimeProvider clock = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Options with { ProgressNotifyInterval = TimeSpan.FromMinutes(10) }, clock);
        await using WatchStream stream = engine.OpenWatchStream();
        stream.Create(new WatchSpec { Key = "a"u8.ToArray(), WatchId = 1, ProgressNotify = true });
        stream.Create(new WatchSpec { Key = "a"u8.ToArray(), WatchId = 2 });
        long revision = (await engine.PutAsync(new PutRequest { Key = "a"u8.ToArray(), Value = [1] }, default)).Revision;

        await using IAsyncEnumerator<WatchMessage> messages = stream.ReadAllAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token).GetAsyncEnumerator();
        List<WatchMessage> seen = [];
        while (seen.Count(m => m.Events.Count > 0) < 2)
        {
            Assert.True(await messages.MoveNextAsync());
            seen.Add(messages.Current);
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        clock.Advance(TimeSpan.FromMinutes(5).Add(TimeSpan.FromSeconds(1)));

        Assert.True(await messages.MoveNextAsync());
        WatchMessage progress = messages.Current;
        Assert.Equal(1, progress.WatchId);
        Assert.Empty(progress.Events);
        Assert.False(progress.Created || progress.Canceled);
        Assert.Equal(revision, progress.Revision);
    }
}
