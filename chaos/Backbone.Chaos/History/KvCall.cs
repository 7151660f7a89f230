namespace Backbone.Chaos.History;

/// <summary>
/// The request half of an operation: a <see cref="OperationKind"/> on one key. Values are strings
/// and null means "absent", for the expected value of a compare-and-set too (a CAS from null is a
/// create-if-absent; a CAS to null is a delete-if-equal).
/// </summary>
public sealed record KvCall
{
    private KvCall(OperationKind kind, string key, string? expected, string? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Kind = kind;
        Key = key;
        Expected = expected;
        Value = value;
    }

    public OperationKind Kind { get; }

    public string Key { get; }

    /// <summary>The value a compare-and-set requires; null for the other kinds (or "absent" for CAS).</summary>
    public string? Expected { get; }

    /// <summary>The value a put or compare-and-set writes; null for a get (or "delete" for a write).</summary>
    public string? Value { get; }

    public static KvCall Get(string key) => new(OperationKind.Get, key, null, null);

    public static KvCall Put(string key, string? value) => new(OperationKind.Put, key, null, value);

    public static KvCall CompareAndSet(string key, string? expected, string? value) =>
        new(OperationKind.CompareAndSet, key, expected, value);

    /// <summary>Human form for failure messages, e.g. <c>CAS(k, "a" → "b")</c>.</summary>
    public override string ToString() => Kind switch
    {
        OperationKind.Get => $"Get({Key})",
        OperationKind.Put => $"Put({Key}, {Quote(Value)})",
        _ => $"CAS({Key}, {Quote(Expected)} → {Quote(Value)})",
    };

    /// <summary>A value as a failure message shows it: quoted, or "absent" for null.</summary>
    public static string Quote(string? value) => value is null ? "absent" : $"\"{value}\"";
}
