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
    /// <summary>What a full read covers; the agents' reachability reports find a dead node before its lease runs out.</summary>
    public static readonly string[] Prefixes = [ControlKeys.NetworksPrefix, ControlKeys.ServicesPrefix, ControlKeys.EndpointsPrefix, ControlKeys.ReachPrefix];

    /// <summary>Applies one key's new value (or its delete); false for a key outside <see cref="Prefixes"/>, which changes nothing.</summary>
    public static bool Apply(NameTableUpdater updater, string key, ReadOnlyMemory<byte> value, bool deleted)
    {
        if (key.StartsWith(ControlKeys.EndpointsPrefix, StringComparison.Ordinal))
        {
            if (deleted)
            {
                updater.DeleteEndpoint(key);
            }
            else
            {
                updater.PutEndpoint(key, EndpointRecord.Deserialize(value));
            }
        }
        else if (key.StartsWith(ControlKeys.ServicesPrefix, StringComparison.Ordinal))
        {
            if (deleted)
            {
                updater.DeleteService(key);
            }
            else
            {
                updater.PutService(key, ServiceRecord.Deserialize(value));
            }
        }
        else if (key.StartsWith(ControlKeys.NetworksPrefix, StringComparison.Ordinal))
        {
            if (deleted)
            {
                updater.DeleteNetwork(key);
            }
            else
            {
                updater.PutNetwork(key, NetworkRecord.Deserialize(value));
            }
        }
        else if (key.StartsWith(ControlKeys.ReachPrefix, StringComparison.Ordinal))
        {
            if (deleted)
            {
                updater.DeleteReach(key);
            }
            else
            {
                updater.PutReach(key, ReachRecord.Deserialize(value));
            }
        }
        else
        {
            return false;
        }

        return true;
    }
}
