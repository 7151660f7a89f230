namespace Backbone.Chaos.History;

/// <summary>What the client learned about an operation (Jepsen's :ok / :fail / :info).</summary>
public enum OutcomeKind
{
    /// <summary>The store answered: the operation took effect once, between invoke and complete.</summary>
    Ok,

    /// <summary>
    /// The operation definitely did not take effect (e.g. the request was refused before it reached
    /// the log). A compare-and-set whose comparison failed is not a Fail: it is Ok with false.
    /// </summary>
    Fail,

    /// <summary>
    /// No answer (timeout, connection lost): it may have taken effect at any time after the
    /// invoke, even after the client gave up, or never.
    /// </summary>
    Unknown,
}
