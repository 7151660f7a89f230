namespace Backbone.Store.Tests.Watch;

/// <summary>
/// What an acknowledged write says it did: the revision its response reported and its changes in
/// the order it made them. A lease revoke cannot say which keys it deleted (or whether any), so
/// it only claims the revision it reported (<see cref="IsLeaseRevoke"/>).
/// </summary>
internal sealed record WriteClaim(long Revision, IReadOnlyList<ClaimedChange> Changes, string Origin, bool IsLeaseRevoke = false);
