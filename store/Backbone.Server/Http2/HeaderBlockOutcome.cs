namespace Backbone.Server.Http2;

/// <summary>What <see cref="HpackAuthorityRewriter.Rewrite"/> did with one header block.</summary>
public enum HeaderBlockOutcome
{
    /// <summary>Every :authority in it was valid (or there was none): forward the block as it came.</summary>
    Unchanged,

    /// <summary>An invalid :authority was replaced: forward the rewritten block instead.</summary>
    Repaired,

    /// <summary>Not valid HPACK (or a table size over the server's limit): forward it as it came and let Kestrel refuse it.</summary>
    Malformed,
}
