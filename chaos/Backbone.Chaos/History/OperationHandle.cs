namespace Backbone.Chaos.History;

/// <summary>
/// What <see cref="HistoryRecorder.Invoke"/> returns: pass it back to
/// <see cref="HistoryRecorder.Complete"/> exactly once, from any thread.
/// </summary>
public readonly record struct OperationHandle(int Id);
