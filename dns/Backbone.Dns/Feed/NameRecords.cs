using Backbone.Control;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Backbone.Dns.Names;

namespace Backbone.Dns.Feed;

/// <summary>
/// The store keys a name table is made of, and how each one's put or delete reaches the
/// <see cref="NameTableUpdater"/>: the same for a record of a full read and for a watch event.
/// </summary>
internal static class NameRecords
{
    /// <summary>One kind of record: its key prefix, and what a put (value deserialized) and a delete do.</summary>
    private static readonly (string Prefix, Action<NameTableUpdater, string, ReadOnlyMemory<byte>> Put, Action<NameTableUpdater, string> Delete)[] Kinds =
    [
        (ControlKeys.EndpointsPrefix, static (u, key, value) => u.PutEndpoint(key, EndpointRecord.Deserialize(value)), static (u, key) => u.DeleteEndpoint(key)),
        (ControlKeys.ServicesPrefix, static (u, key, value) => u.PutService(key, ServiceRecord.Deserialize(value)), static (u, key) => u.DeleteService(key)),
        (ControlKeys.NetworksPrefix, static (u, key, value) => u.PutNetwork(key, NetworkRecord.Deserialize(value)), static (u, key) => u.DeleteNetwork(key)),
        // The agents' reachability reports: they find a dead node before its lease runs out.
        (ControlKeys.ReachPrefix, static (u, key, value) => u.PutReach(key, ReachRecord.Deserialize(value)), static (u, key) => u.DeleteReach(key)),
    ];

    /// <summary>What a full read covers.</summary>
    public static readonly string[] Prefixes = [.. Kinds.Select(k => k.Prefix)];

    /// <summary>Applies one key's new value (or its delete); false for a key outside <see cref="Prefixes"/>, which changes nothing.</summary>
    public static bool Apply(NameTableUpdater updater, string key, ReadOnlyMemory<byte> value, bool deleted)
    {
        foreach ((string prefix, Action<NameTableUpdater, string, ReadOnlyMemory<byte>> put, Action<NameTableUpdater, string> delete) in Kinds)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (deleted)
                {
                    delete(updater, key);
                }
                else
                {
                    put(updater, key, value);
                }

                return true;
            }
        }

        return false;
    }
}
