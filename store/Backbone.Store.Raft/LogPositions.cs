namespace Backbone.Store.Raft;

/// <summary>
/// Maps Raft entries to store positions. The store wants one strictly increasing position per
/// command; a Raft entry carries a batch of commands, so command k of entry i gets position
/// <c>i * PerEntry + k</c> (k from 1). The store's applied position then names the Raft entry it
/// has fully applied (<see cref="EntryOf"/>), because the store persists its meta once per batch.
/// </summary>
public static class LogPositions
{
    public const int PerEntry = 1 << 16;

    public static long Of(long entryIndex, int commandInEntry) => (entryIndex * PerEntry) + commandInEntry + 1;

    /// <summary>The Raft entry a position belongs to.</summary>
    public static long EntryOf(long position) => position <= 0 ? 0 : (position - 1) / PerEntry;
}
