namespace Backbone.Control;

/// <summary>The changes of one or more whole revisions, up to and including <paramref name="Revision"/>, in order.</summary>
public sealed record EventBatch(long Revision, IReadOnlyList<KeyEvent> Events);
