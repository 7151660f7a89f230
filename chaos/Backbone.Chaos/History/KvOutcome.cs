namespace Backbone.Chaos.History;

/// <summary>
/// The response half of an operation. An Ok outcome carries what the store returned and says which
/// kind of call it answers (<see cref="Answers"/>), so that a history mixing them up (a Get
/// "answered" with a CAS result) is rejected when the operation is built, not silently misjudged.
/// </summary>
public sealed record KvOutcome
{
    private KvOutcome(OutcomeKind kind, OperationKind? answers, string? value, bool succeeded)
    {
        Kind = kind;
        Answers = answers;
        Value = value;
        Succeeded = succeeded;
    }

    public OutcomeKind Kind { get; }

    /// <summary>The call kind an Ok outcome answers; null for Fail and Unknown.</summary>
    public OperationKind? Answers { get; }

    /// <summary>The value a Get returned (null: the key was absent). Null for every other outcome.</summary>
    public string? Value { get; }

    /// <summary>Whether a compare-and-set swapped. False for every other outcome.</summary>
    public bool Succeeded { get; }

    /// <summary>A put was acknowledged.</summary>
    public static KvOutcome Written { get; } = new(OutcomeKind.Ok, OperationKind.Put, null, false);

    /// <summary>The operation definitely did not take effect.</summary>
    public static KvOutcome Failed { get; } = new(OutcomeKind.Fail, null, null, false);

    /// <summary>The client does not know whether the operation took effect.</summary>
    public static KvOutcome Unknown { get; } = new(OutcomeKind.Unknown, null, null, false);

    /// <summary>A get returned <paramref name="value"/> (null: the key was absent).</summary>
    public static KvOutcome Read(string? value) => new(OutcomeKind.Ok, OperationKind.Get, value, false);

    /// <summary>A compare-and-set answered: <paramref name="succeeded"/> says whether it swapped.</summary>
    public static KvOutcome Swapped(bool succeeded) => new(OutcomeKind.Ok, OperationKind.CompareAndSet, null, succeeded);

    public override string ToString() => (Kind, Answers) switch
    {
        (OutcomeKind.Fail, _) => "Fail",
        (OutcomeKind.Unknown, _) => "Unknown",
        (_, OperationKind.Get) => $"Ok {KvCall.Quote(Value)}",
        (_, OperationKind.CompareAndSet) => Succeeded ? "Ok swapped" : "Ok not swapped",
        _ => "Ok",
    };
}
