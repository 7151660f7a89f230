namespace Backbone.Control;

/// <summary>
/// Tells a reconciling loop that something under a prefix changed, so it reads again at once
/// instead of polling: the server implements it over its watch hub, anything else over the
/// etcd Watch API. It carries no data; the loop reads the state it needs at one revision.
/// </summary>
public interface IChangeFeed
{
    /// <summary>Yields the revision of each change under <paramref name="prefix"/> (several may come as one) until cancelled.</summary>
    IAsyncEnumerable<long> ChangesAsync(string prefix, CancellationToken cancellationToken);
}
