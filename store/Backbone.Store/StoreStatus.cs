namespace Backbone.Store;

/// <summary>A snapshot of the engine's counters for Maintenance.Status and metrics.</summary>
public sealed record StoreStatus(long Revision, long CompactRevision, long AppliedIndex, long DbSizeBytes, int LeaseCount);
