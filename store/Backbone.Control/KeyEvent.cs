namespace Backbone.Control;

/// <summary>One key put (with its new value) or deleted (<paramref name="Value"/> empty), as etcd's mvccpb.Event without the previous value.</summary>
public sealed record KeyEvent(string Key, ReadOnlyMemory<byte> Value, bool IsDelete);
