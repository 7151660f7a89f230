namespace Backbone.Store;

/// <summary>
/// A file of the data directory cannot be trusted (truncated in the middle, checksum mismatch,
/// unreadable checkpoint). The node refuses to start rather than serve a silently shortened history.
/// </summary>
public sealed class StoreCorruptException(string path, string reason, Exception? inner = null)
    : Exception($"{path}: {reason}", inner)
{
    public string Path { get; } = path;
}
