using MessagePack;

namespace Backbone.Control.Services;

/// <summary>A service as stored at <c>/bb/services/&lt;id&gt;</c>: what the scheduler turns into tasks.</summary>
[MessagePackObject]
public sealed record ServiceRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string Id { get; init; }
    [Key(2)] public required string Name { get; init; }
    [Key(3)] public int Replicas { get; init; }

    /// <summary>"vip": the service name resolves to one virtual IP per network; "dnsrr": to its tasks' addresses.</summary>
    [Key(4)] public required string EndpointMode { get; init; }
    [Key(5)] public required IReadOnlyList<ServiceNetwork> Networks { get; init; }
    [Key(6)] public required IReadOnlyList<PublishedPort> Ports { get; init; }

    /// <summary>"any", "on-failure" or "none": when a task's process exits, whether the agent starts it again.</summary>
    [Key(7)] public required string RestartCondition { get; init; }
    [Key(8)] public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Placement constraints, e.g. "node.name==h1".</summary>
    [Key(9)] public required IReadOnlyList<string> Constraints { get; init; }
    [Key(10)] public long CreatedUnixMs { get; init; }
    [Key(11)] public long UpdatedUnixMs { get; init; }

    /// <summary>Raised by an update that changes how tasks run (command, restart condition, --force): tasks of an older version are replaced, one at a time.</summary>
    [Key(12)] public int Version { get; init; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static ServiceRecord Deserialize(ReadOnlyMemory<byte> bytes)
    {
        ServiceRecord record = MessagePackSerializer.Deserialize<ServiceRecord>(bytes);
        if (record.Schema > CurrentSchema)
        {
            throw new InvalidDataException($"service {record.Name} was written with schema {record.Schema}, newer than this node understands ({CurrentSchema}): upgrade this node");
        }

        return record;
    }
}

/// <summary>One network a service is attached to: its aliases there and, in vip mode, its virtual IP there.</summary>
[MessagePackObject]
public sealed record ServiceNetwork
{
    [Key(0)] public required string NetworkId { get; init; }
    [Key(1)] public required string NetworkName { get; init; }
    [Key(2)] public required IReadOnlyList<string> Aliases { get; init; }

    /// <summary>The virtual IP in vip mode; empty in dnsrr mode.</summary>
    [Key(3)] public string Vip { get; init; } = "";
}
