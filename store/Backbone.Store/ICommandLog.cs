using Backbone.Store.Commands;

namespace Backbone.Store;

/// <summary>
/// Orders commands and applies them once durable: today a local write-ahead log
/// (<see cref="LocalCommandLog"/>), next the Raft log. The returned task completes with the
/// command's result after it is on disk and applied, or faults with a <see cref="StoreException"/>
/// (RequestTooLarge when the encoded command exceeds <see cref="Backbone.Core.StoreLimits.MaxRequestBytes"/>,
/// as etcd refuses a proposal over its request limit).
/// </summary>
public interface ICommandLog
{
    Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken);
}
