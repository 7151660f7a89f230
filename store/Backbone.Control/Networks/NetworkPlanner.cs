using System.Text.RegularExpressions;

namespace Backbone.Control.Networks;

/// <summary>
/// Checks a <see cref="NetworkSpec"/> against the networks that exist and decides the rest
/// (subnet from the pool, gateway, VNI, MTU). Pure: the caller reads the existing networks and
/// writes the result in one transaction that fails if they changed meanwhile.
/// </summary>
public static partial class NetworkPlanner
{
    /// <summary>Overlay on a 1500-byte underlay: 50 bytes of VXLAN, UDP, IP and Ethernet headers.</summary>
    public const int DefaultMtu = 1450;

    /// <summary>Encrypted: 26 more bytes for the key id, sequence number and AES-GCM tag of the data plane.</summary>
    public const int DefaultEncryptedMtu = 1424;

    public const int MinMtu = 576;
    public const int MaxMtu = 9000;

    public static NetworkRecord Plan(NetworkSpec spec, IReadOnlyList<NetworkRecord> existing, SubnetPool pool, string id, long createdUnixMs)
    {
        if (!ValidName().IsMatch(spec.Name))
        {
            throw Invalid($"\"{spec.Name}\" is not a valid network name: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }

        if (existing.FirstOrDefault(n => n.Name == spec.Name) is { } taken)
        {
            throw new ControlException(ControlError.AlreadyExists, $"a network named \"{spec.Name}\" already exists (id {taken.Id}, subnet {taken.Subnet}): choose another name or remove it first");
        }

        if (spec.Driver != "overlay")
        {
            throw Invalid($"unknown network driver \"{spec.Driver}\": only \"overlay\" is supported");
        }

        int mtu = spec.Mtu == 0 ? (spec.Encrypted ? DefaultEncryptedMtu : DefaultMtu) : spec.Mtu;
        if (mtu is < MinMtu or > MaxMtu)
        {
            throw Invalid($"--mtu {spec.Mtu} is out of range: use {MinMtu}-{MaxMtu} (the underlay MTU minus 50, or 0 for the default {DefaultMtu})");
        }

        List<(NetworkRecord Network, Ipv4Cidr Subnet)> used = [.. existing.Select(n => (n, ParseStored(n)))];
        Ipv4Cidr subnet = ChooseSubnet(spec, used, pool);
        uint gateway = ChooseGateway(spec, subnet);
        Ipv4Cidr ipRange = subnet;
        if (spec.IpRange.Length > 0)
        {
            ipRange = ParseCidr(spec.IpRange, "--ip-range");
            if (!subnet.Contains(ipRange))
            {
                throw Invalid($"--ip-range {ipRange} is not inside the subnet {subnet}");
            }
        }

        int vni = VniPool.Allocate(existing.Select(n => n.Vni))
            ?? throw new ControlException(ControlError.FailedPrecondition, $"every VXLAN id from {VniPool.First} to {VniPool.Last} is in use: remove networks first");
        return new NetworkRecord
        {
            Id = id,
            Name = spec.Name,
            Driver = spec.Driver,
            Subnet = subnet.ToString(),
            Gateway = Ipv4Cidr.FormatAddress(gateway),
            IpRange = ipRange.ToString(),
            Vni = vni,
            Mtu = mtu,
            Encrypted = spec.Encrypted,
            Attachable = spec.Attachable,
            Internal = spec.Internal,
            CreatedUnixMs = createdUnixMs,
        };
    }

    private static Ipv4Cidr ChooseSubnet(NetworkSpec spec, List<(NetworkRecord Network, Ipv4Cidr Subnet)> used, SubnetPool pool)
    {
        if (spec.Subnet.Length == 0)
        {
            if (spec.Gateway.Length > 0 || spec.IpRange.Length > 0)
            {
                throw Invalid("--gateway and --ip-range need --subnet: they must lie inside a subnet you name");
            }

            return pool.Allocate([.. used.Select(u => u.Subnet)])
                ?? throw new ControlException(ControlError.FailedPrecondition, $"the default address pool {pool.Pool} has no free /{pool.BlockLength} left: give --subnet or remove networks");
        }

        Ipv4Cidr subnet = ParseCidr(spec.Subnet, "--subnet");
        if (subnet.PrefixLength is < 8 or > 29)
        {
            throw Invalid($"--subnet {subnet}: the prefix length must be 8-29 (a /29 holds the gateway and five containers)");
        }

        if (Ipv4Cidr.Of(127u << 24, 8).Overlaps(subnet) || Ipv4Cidr.Of(0, 8).Overlaps(subnet) || Ipv4Cidr.Of(224u << 24, 3).Overlaps(subnet))
        {
            throw Invalid($"--subnet {subnet} overlaps loopback, \"this network\" (0/8) or multicast/reserved space: use a private range such as 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
        }

        foreach ((NetworkRecord other, Ipv4Cidr otherSubnet) in used)
        {
            if (otherSubnet.Overlaps(subnet))
            {
                throw new ControlException(ControlError.FailedPrecondition, $"--subnet {subnet} overlaps network \"{other.Name}\" ({otherSubnet}): choose a subnet that does not, or leave --subnet out to get a free one");
            }
        }

        return subnet;
    }

    private static uint ChooseGateway(NetworkSpec spec, Ipv4Cidr subnet)
    {
        if (spec.Gateway.Length == 0)
        {
            return subnet.Network + 1;
        }

        if (!Ipv4Cidr.TryParseAddress(spec.Gateway, out uint gateway))
        {
            throw Invalid($"--gateway \"{spec.Gateway}\" is not an IPv4 address");
        }

        if (!subnet.Contains(gateway) || gateway == subnet.Network || gateway == subnet.Last)
        {
            throw Invalid($"--gateway {spec.Gateway} must be a host address inside {subnet} (not its network or broadcast address)");
        }

        return gateway;
    }

    private static Ipv4Cidr ParseCidr(string text, string flag) =>
        Ipv4Cidr.TryParse(text, out Ipv4Cidr? cidr, out string? error) ? cidr.Value : throw Invalid($"{flag}: {error}");

    private static Ipv4Cidr ParseStored(NetworkRecord network) =>
        Ipv4Cidr.TryParse(network.Subnet, out Ipv4Cidr? cidr, out _) ? cidr.Value
            : throw new InvalidDataException($"stored network {network.Name} has an unreadable subnet \"{network.Subnet}\"");

    private static ControlException Invalid(string message) => new(ControlError.InvalidArgument, message);

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")]
    private static partial Regex ValidName();
}
