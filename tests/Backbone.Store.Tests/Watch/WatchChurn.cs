using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// The control side of a randomized run, on one task: creates random watches, cancels some and
/// creates replacements (half of them under the same client-chosen id), asks streams for progress
/// and has the hub send progress_notify, one random action per <see cref="Step"/>.
/// </summary>
internal sealed class WatchChurn(StoreEngine engine, IReadOnlyList<WatchClient> clients, Random random, int maxLiveWatches)
{
    private readonly List<(WatchClient Client, long Id)> cancelable = [];
    private long nextWatchId = 1000; // client-chosen ids stay clear of the stream's automatic ones
    private int live;

    public int Creates { get; private set; }

    public int Cancels { get; private set; }

    public int ProgressRequests { get; private set; }

    public void CreateRandom(WatchClient client) => Create(client, random.Next(2) == 0 ? nextWatchId++ : 0);

    public void Step()
    {
        int dice = random.Next(100);
        WatchClient client = clients[random.Next(clients.Count)];
        if (dice < 30)
        {
            client.Stream.RequestProgress();
            ProgressRequests++;
        }
        else if (dice < 40)
        {
            engine.Hub.NotifyProgress();
        }
        else if (dice < 55 && cancelable.Count > 0)
        {
            int i = random.Next(cancelable.Count);
            (WatchClient owner, long id) = cancelable[i];
            cancelable.RemoveAt(i);
            owner.Cancel(id);
            Cancels++;
            live--;
            Create(owner, random.Next(2) == 0 ? id : nextWatchId++);
        }
        else if (dice < 65 && live < maxLiveWatches)
        {
            CreateRandom(client);
        }
    }

    private void Create(WatchClient client, long watchId)
    {
        WatchSpec spec = RandomWatchSpecs.Next(random, engine.Revision, watchId);
        client.Create($"#{Creates} {RandomWatchSpecs.Describe(spec)}", spec);
        Creates++;
        live++;
        if (watchId != 0)
        {
            cancelable.Add((client, watchId));
        }
    }
}
