using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Backbone.Control;

/// <summary><see cref="IChangeFeed"/> over the etcd v3 Watch API of any member: the revisions of <see cref="ClientEventFeed"/>'s batches.</summary>
public sealed class ClientChangeFeed(CallInvoker invoker) : IChangeFeed
{
    public async IAsyncEnumerable<long> ChangesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (EventBatch batch in new ClientEventFeed(invoker).EventsAsync(prefix, startRevision: 0, cancellationToken).ConfigureAwait(false))
        {
            yield return batch.Revision;
        }
    }
}
