using Backbone.Core;

namespace Backbone.Store.Index;

/// <summary>
/// One entry of a key's history: the key was written (or deleted, when <see cref="Tombstone"/>)
/// at <see cref="Revision"/>. CreateRevision and Version describe the key as of that write
/// (both 0 on a tombstone), and Lease the lease the key was attached to, so a read at any
/// revision, keys_only and count reads, lease compares and lease bookkeeping need no backend access.
/// </summary>
internal readonly record struct KeyRevision(Revision Revision, long CreateRevision, long Version, bool Tombstone, long Lease = 0);
