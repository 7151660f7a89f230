using Backbone.Store.Model;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// One change of a write: a put of <see cref="Key"/>, or a delete of [Key, RangeEnd) (etcd's range
/// rules) that deleted <see cref="Deleted"/> keys, in key order.
/// </summary>
internal sealed record ClaimedChange(WatchEventType Type, byte[] Key, byte[] RangeEnd, long Deleted = 0)
{
    public static ClaimedChange Put(byte[] key) => new(WatchEventType.Put, key, []);

    public static ClaimedChange Delete(byte[] key, byte[] rangeEnd, long deleted) => new(WatchEventType.Delete, key, rangeEnd, deleted);
}
