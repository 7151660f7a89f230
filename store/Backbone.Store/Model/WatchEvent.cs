namespace Backbone.Store.Model;

public enum WatchEventType
{
    Put = 0,
    Delete = 1,
}

/// <summary>
/// One change, as etcd's mvccpb.Event. A delete's <see cref="Kv"/> carries only the key and the
/// deleting revision (as etcd). <see cref="PrevKv"/> is filled only for watchers that ask for it.
/// </summary>
public sealed record WatchEvent(WatchEventType Type, KeyValue Kv, KeyValue? PrevKv = null);
