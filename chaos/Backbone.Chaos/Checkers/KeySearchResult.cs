namespace Backbone.Chaos.Checkers;

/// <summary>
/// What the search of one key found. For NotLinearizable: a longest prefix it could linearize
/// (local op indices, in linearization order) and the register value after it.
/// </summary>
internal sealed record KeySearchResult(Verdict Verdict, int[] LongestPrefix, int StateAfterPrefix);
