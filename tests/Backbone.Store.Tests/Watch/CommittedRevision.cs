using Backbone.Store.Model;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// One committed revision as the store's history holds it: its events in sub-revision order (the
/// order the write made them), each with <see cref="WatchEvent.PrevKv"/> set to the key's value just
/// before the revision, or null when the key did not exist then.
/// </summary>
internal sealed record CommittedRevision(long Revision, IReadOnlyList<WatchEvent> Events);
