namespace Backbone.Store;

/// <summary>An expected, typed failure (see <see cref="StoreError"/>); never a bug.</summary>
public sealed class StoreException(StoreError error, string? detail = null)
    : Exception(detail ?? error.ToString())
{
    public StoreError Error { get; } = error;
}
