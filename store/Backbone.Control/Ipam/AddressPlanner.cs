using Backbone.Control.Networks;

namespace Backbone.Control.Ipam;

/// <summary>Which address of a network to hand out next: pure, so the rules are tested without a store.</summary>
public static class AddressPlanner
{
    /// <summary>
    /// The lowest address of the network's IP range that is a host address of its subnet (not the
    /// network or broadcast address), not its gateway, and not in <paramref name="used"/>; null
    /// when there is none.
    /// </summary>
    public static uint? FirstFree(NetworkRecord network, IReadOnlySet<uint> used) => Free(network, used, 1).Cast<uint?>().FirstOrDefault();

    /// <summary>Up to <paramref name="max"/> free addresses, lowest first (the rules of <see cref="FirstFree"/>).</summary>
    public static IEnumerable<uint> Free(NetworkRecord network, IReadOnlySet<uint> used, int max)
    {
        Ipv4Cidr subnet = Parse(network.Subnet);
        Ipv4Cidr range = Parse(network.IpRange);
        if (!Ipv4Cidr.TryParseAddress(network.Gateway, out uint gateway))
        {
            throw new InvalidDataException($"network {network.Name} has an unreadable gateway \"{network.Gateway}\"");
        }

        int found = 0;
        for (ulong candidate = range.Network; candidate <= range.Last && found < max; candidate++)
        {
            uint address = (uint)candidate;
            if (address != subnet.Network && address != subnet.Last && address != gateway && !used.Contains(address))
            {
                found++;
                yield return address;
            }
        }
    }

    /// <summary>How many addresses the network can hand out in all (its range's host addresses, less the gateway).</summary>
    public static ulong Capacity(NetworkRecord network)
    {
        Ipv4Cidr subnet = Parse(network.Subnet);
        Ipv4Cidr range = Parse(network.IpRange);
        ulong reserved = 0;
        Ipv4Cidr.TryParseAddress(network.Gateway, out uint gateway);
        foreach (uint address in new[] { subnet.Network, subnet.Last, gateway }.Distinct())
        {
            reserved += range.Contains(address) ? 1UL : 0;
        }

        return range.Size - reserved;
    }

    private static Ipv4Cidr Parse(string cidr) =>
        Ipv4Cidr.TryParse(cidr, out Ipv4Cidr? parsed, out string? error) ? parsed.Value : throw new InvalidDataException($"stored CIDR \"{cidr}\": {error}");
}
