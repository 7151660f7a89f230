using Backbone.Core;

namespace Backbone.Store.Index;

/// <summary>
/// One entry of a key's history: the key was written (or deleted, when <see cref="Tombstone"/>)
/// at <see cref="Revision"/>. CreateRevision and Version describe the key as of that write
/// (both 0 on a tombstone), so a read at any revision needs no backend access to know them.
/// </summary>
internal readonly record struct KeyRevision(Revision Revision, long CreateRevision, long Version, bool Tombstone);
