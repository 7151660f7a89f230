using MessagePack;

namespace Backbone.Control.Networks;

/// <summary>A network as stored at <c>/bb/networks/&lt;id&gt;</c>.</summary>
[MessagePackObject]
public sealed record NetworkRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string Id { get; init; }
    [Key(2)] public required string Name { get; init; }
    [Key(3)] public required string Driver { get; init; }
    [Key(4)] public required string Subnet { get; init; }
    [Key(5)] public required string Gateway { get; init; }

    /// <summary>Where container addresses come from: the subnet unless --ip-range narrowed it.</summary>
    [Key(6)] public required string IpRange { get; init; }
    [Key(7)] public int Vni { get; init; }
    [Key(8)] public int Mtu { get; init; }
    [Key(9)] public bool Encrypted { get; init; }
    [Key(10)] public bool Attachable { get; init; }
    [Key(11)] public bool Internal { get; init; }
    [Key(12)] public long CreatedUnixMs { get; init; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static NetworkRecord Deserialize(ReadOnlyMemory<byte> bytes)
    {
        NetworkRecord record = MessagePackSerializer.Deserialize<NetworkRecord>(bytes);
        if (record.Schema > CurrentSchema)
        {
            throw new InvalidDataException($"network {record.Name} was written with schema {record.Schema}, newer than this node understands ({CurrentSchema}): upgrade this node");
        }

        return record;
    }
}
