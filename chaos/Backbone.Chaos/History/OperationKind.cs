namespace Backbone.Chaos.History;

/// <summary>What a client asked the key-value store to do with one key.</summary>
public enum OperationKind
{
    /// <summary>Read the key's value (null when the key is absent).</summary>
    Get,

    /// <summary>Write a value unconditionally (a null value deletes the key).</summary>
    Put,

    /// <summary>Write a new value only if the current value equals the expected one.</summary>
    CompareAndSet,
}
