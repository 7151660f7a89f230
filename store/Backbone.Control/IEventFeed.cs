namespace Backbone.Control;

/// <summary>
/// The store's changes themselves, in order, from a chosen revision (etcd's watch with a start
/// revision): what a loop that keeps its own copy of some prefixes needs to stay exactly in step
/// after one read at revision R (watch from R + 1: no change is missed or seen twice). Unlike
/// <see cref="IChangeFeed"/>, it carries the values, so nothing has to be read again.
/// </summary>
public interface IEventFeed
{
    /// <summary>
    /// Yields every change under <paramref name="prefix"/> from <paramref name="startRevision"/>
    /// on, whole revisions at a time and in revision order, until cancelled. Throws when the watch
    /// cannot go on (that revision is compacted, the server cancelled the watch): the caller then
    /// reads the prefixes again and starts over from the new revision.
    /// </summary>
    IAsyncEnumerable<EventBatch> EventsAsync(string prefix, long startRevision, CancellationToken cancellationToken);
}
