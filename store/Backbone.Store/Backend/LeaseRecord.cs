using MessagePack;

namespace Backbone.Store.Backend;

/// <summary>
/// A lease as stored in FASTER. A revoke is recorded (not deleted at once) so that recovery can
/// tell a revoke that a checkpoint holds from one it must replay; see <see cref="StoreMeta"/>.
/// </summary>
[MessagePackObject]
public sealed class LeaseRecord
{
    [Key(0)] public int SchemaVersion { get; init; } = 1;
    [Key(1)] public long Id { get; init; }
    [Key(2)] public long TtlSeconds { get; init; }
    [Key(3)] public long GrantIndex { get; init; }
    /// <summary>Log index of the revoke; 0 while the lease lives.</summary>
    [Key(4)] public long RevokeIndex { get; init; }
}
