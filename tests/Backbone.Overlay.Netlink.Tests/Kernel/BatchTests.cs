using System.Net;
using System.Net.NetworkInformation;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>A batch of FDB and neighbour changes against the real kernel: all made in one commit, a refusal among them costing only itself.</summary>
public sealed class BatchTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ABatchProgramsHundredsOfEntriesAndReportsOnlyWhatTheKernelRefused()
    {
        Root.Require();
        using Scratch scratch = new("y", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        OverlayNetwork network = OverlayNetwork.Build(scratch, netlink, ns);
        int vxlan = network.Vxlan.Index;

        // More than a datagram's worth, with one bad remote (the other family) in the middle.
        RouteBatch batch = netlink.Batch();
        const int Peers = 100;
        for (int i = 1; i <= Peers; i++)
        {
            batch.ReplaceFdb(vxlan, Mac(i), IPAddress.Parse(i == 50 ? "fd00::50" : $"192.0.2.{i}"));
        }

        for (int i = 1; i <= Peers; i++)
        {
            batch.ReplaceNeighbour(vxlan, Address(i), Mac(i));
        }

        NetlinkException refused = Assert.Single(batch.Commit());
        Assert.Equal(Errno.EAFNOSUPPORT, refused.Errno);
        Assert.Contains("02:42:0a:4d:00:32 dst fd00::50", refused.Message, StringComparison.Ordinal);
        output.WriteLine(refused.Message);

        Assert.Equal(Peers - 1, netlink.GetFdb(vxlan).Count(e => e.Remote is not null && e.Flags.HasFlag(NeighbourFlags.Self) && e.Mac.GetAddressBytes()[0] == 0x02));
        Assert.Equal(Enumerable.Range(1, Peers).Select(i => Address(i).ToString()).Order(StringComparer.Ordinal),
            netlink.GetNeighbours(vxlan).Where(n => n.State.HasFlag(NeighbourState.Permanent)).Select(n => n.Address.ToString()).Order(StringComparer.Ordinal));

        // Removing them, and some twice, in one batch: nothing is refused, nothing is left.
        for (int i = 1; i <= Peers; i++)
        {
            batch.DeleteNeighbour(vxlan, Address(i)).DeleteFdb(vxlan, Mac(i));
        }

        batch.DeleteNeighbour(vxlan, Address(1)).DeleteFdb(vxlan, Mac(1));
        Assert.Empty(batch.Commit());
        Assert.DoesNotContain(netlink.GetFdb(vxlan), e => e.Remote is not null && e.Mac.GetAddressBytes()[0] == 0x02);
        Assert.DoesNotContain(netlink.GetNeighbours(vxlan), n => n.State.HasFlag(NeighbourState.Permanent));
    }

    private static PhysicalAddress Mac(int i) => new([0x02, 0x42, 0x0a, 0x4d, 0x00, (byte)i]);

    private static IPAddress Address(int i) => IPAddress.Parse($"10.77.0.{i}");
}
