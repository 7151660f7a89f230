using Backbone.Core;
using Backbone.Store.Model;

namespace Backbone.Store.Mvcc;

/// <summary>
/// A change as the apply path produced it, before a watcher shapes it into a <see cref="WatchEvent"/>
/// (filters, prev_kv). <see cref="Revision"/> includes the sub-revision, which locates the previous value.
/// </summary>
internal readonly record struct ChangeEvent(WatchEventType Type, KeyValue Kv, Revision Revision);
