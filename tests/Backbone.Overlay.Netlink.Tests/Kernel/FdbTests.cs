using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>A vxlan device's own FDB (MAC → remote VTEP), programmed with the library, checked with `bridge fdb show` and read back with <see cref="RouteNetlink.GetFdb"/>.</summary>
public sealed class FdbTests(ITestOutputHelper output)
{
    private static readonly PhysicalAddress First = PhysicalAddress.Parse("02-42-0A-4C-00-05");
    private static readonly PhysicalAddress Second = PhysicalAddress.Parse("02-42-0A-4C-00-06");

    [SkippableFact]
    public void EntriesAreAddedReplacedListedAndDeletedAsProgrammed()
    {
        Root.Require();
        using Scratch scratch = new("f", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        OverlayNetwork network = OverlayNetwork.Build(scratch, netlink, ns);
        int vxlan = network.Vxlan.Index;

        netlink.AddFdb(vxlan, First, IPAddress.Parse("192.0.2.10"));
        netlink.ReplaceFdb(vxlan, Second, IPAddress.Parse("192.0.2.11")); // creates
        netlink.ReplaceFdb(vxlan, First, IPAddress.Parse("192.0.2.12")); // the container moved hosts
        netlink.ReplaceFdb(vxlan, Second, IPAddress.Parse("192.0.2.11")); // re-applied: no EEXIST, no second entry

        AssertOwnEntries(netlink, network, (First, "192.0.2.12"), (Second, "192.0.2.11"));
        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.AddFdb(vxlan, First, IPAddress.Parse("192.0.2.12")));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.EndsWith("ReplaceFdb points it at the new remote", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);

        Assert.True(netlink.DeleteFdb(vxlan, First, IPAddress.Parse("192.0.2.99"))); // the kernel acks a remote the entry lacks...
        AssertOwnEntries(netlink, network, (First, "192.0.2.12"), (Second, "192.0.2.11")); // ...and removes nothing
        Assert.True(netlink.DeleteFdb(vxlan, First));
        Assert.False(netlink.DeleteFdb(vxlan, First));
        AssertOwnEntries(netlink, network, (Second, "192.0.2.11"));
        Assert.True(netlink.DeleteFdb(vxlan, Second, IPAddress.Parse("192.0.2.11")));
        AssertOwnEntries(netlink, network);
    }

    [SkippableFact]
    public void ARemoteOfTheOtherFamilyIsRefusedWithAHint()
    {
        Root.Require();
        using Scratch scratch = new("k", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        OverlayNetwork network = OverlayNetwork.Build(scratch, netlink, ns);

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.ReplaceFdb(network.Vxlan.Index, First, IPAddress.Parse("fd00::77")));

        Assert.Equal(Errno.EAFNOSUPPORT, e.Errno);
        Assert.StartsWith($"netlink: replace fdb entry 02:42:0a:4c:00:05 dst fd00::77 on link {network.Vxlan.Index}: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("hint: the remote is not of the vxlan device's address family (its local address's)", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
    }

    /// <summary>
    /// The device's own (self) entries are exactly <paramref name="expected"/>, through
    /// <see cref="RouteNetlink.GetFdb"/> and `bridge fdb show dev`; and the two list the same
    /// entries altogether (the bridge's own, without self, included).
    /// </summary>
    private static void AssertOwnEntries(RouteNetlink netlink, OverlayNetwork network, params (PhysicalAddress Mac, string Remote)[] expected)
    {
        IReadOnlyList<FdbEntry> ours = netlink.GetFdb(network.Vxlan.Index);
        Assert.Equal(
            expected.Select(e => new FdbEntry(network.Vxlan.Index, e.Mac, IPAddress.Parse(e.Remote), NeighbourState.Permanent, NeighbourFlags.Self)).OrderBy(e => e.Mac.ToString()),
            ours.Where(e => e.Flags.HasFlag(NeighbourFlags.Self)).OrderBy(e => e.Mac.ToString()));

        JsonElement shown = JsonDocument.Parse(Tool.Run("ip", "netns", "exec", network.Namespace, "bridge", "-j", "fdb", "show", "dev", network.Vxlan.Name)).RootElement;
        List<(string, string?, bool, string)> theirs = [.. shown.EnumerateArray().Select(e => (
            e.GetProperty("mac").GetString()!,
            e.TryGetProperty("dst", out JsonElement dst) ? dst.GetString() : null,
            e.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "self"),
            e.GetProperty("state").GetString()!))];
        Assert.Equal(
            theirs.Order(),
            ours.Select(e => (OverlayNetwork.Format(e.Mac), e.Remote?.ToString(), e.Flags.HasFlag(NeighbourFlags.Self), e.State == NeighbourState.Permanent ? "permanent" : e.State.ToString())).Order());
    }
}
