using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using Backbone.Api.Control;
using Backbone.Control;
using Backbone.Overlay.Netlink;
using Backbone.Overlay.Reconcile;
using Grpc.Net.Client;

namespace Backbone.OverlayBench;

/// <summary>
/// The sample loop (<see cref="ConvergenceOptions.Usage"/>): per sample, run a container through
/// the creating node, send to it from the far container until a datagram arrives, read the
/// registration time from the watch, remove it, and wait until every host forgot it.
/// </summary>
/// <param name="networkId">The id of <see cref="ConvergenceOptions.Network"/>: endpoint keys are /bb/endpoints/NETWORKID/CONTAINERID.</param>
public sealed class ConvergenceProbe(ConvergenceOptions options, string networkId, GrpcChannel creator, StoreWatch watch)
{
    private static readonly TimeSpan Forgotten = TimeSpan.FromSeconds(30);

    /// <summary>After a removal has settled, before the next sample: the agents' rounds after it are done too.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Plus a random pause of up to this, so samples do not lock onto an agent's periodic read
    /// (a worker's every second, a manager's every 5 s): each starts at a random phase of it.
    /// </summary>
    private const int JitterMsMax = 1000;

    private readonly Random random = new(options.Seed);

    public async Task<ConvergenceSample> SampleAsync(int index, CancellationToken cancellationToken)
    {
        var control = new Backbone.Api.Control.Control.ControlClient(creator);
        TimeSpan limit = TimeSpan.FromMilliseconds(options.TimeoutMs);
        using var tap = new ArrivalTap(options.ReceiverSandbox, options.Port, limit);
        long start = Stopwatch.GetTimestamp();
        var request = new RunContainerRequest { Name = $"conv{index}", Networks = { options.Network }, Command = { "sleep", "infinity" } };
        Container container = await control.RunContainerAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        long acknowledged = Stopwatch.GetTimestamp();
        string address = container.Addresses.Single(a => a.StartsWith(options.Network + "=", StringComparison.Ordinal))[(options.Network.Length + 1)..];
        PhysicalAddress mac = PhysicalAddress.Parse(HostNames.MacFor(address).Replace(':', '-').ToUpperInvariant());
        ConvergenceSample sample;
        try
        {
            tap.Expect(IPAddress.Parse(address));
            SetNeighbour(options.SenderNamespace, IPAddress.Parse(address), mac);
            using (var sender = new ProbeSender(options.SenderNamespace, new IPEndPoint(IPAddress.Parse(address), options.Port)))
            {
                tap.Wait();
                sample = Measure(index, container.Id, address, start, acknowledged, tap, sender);
            }

            // The watch may report after the packet arrived (its delivery is not the data path's): give it a moment.
            long waitUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
            while (double.IsNaN(sample.RegisteredMs) && Stopwatch.GetTimestamp() < waitUntil)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                sample = sample with { RegisteredMs = Since(start, watch.FirstPut(EndpointKey(container.Id))), CreatedMs = Since(start, watch.FirstPut(ControlKeys.ContainersPrefix + container.Id)) };
            }
        }
        finally
        {
            using (RouteNetlink netlink = RouteNetlink.OpenIn(options.SenderNamespace))
            {
                netlink.DeleteNeighbour(Eth0(netlink, options.SenderNamespace), IPAddress.Parse(address));
            }

            await control.RemoveContainerAsync(new ContainerRef { NameOrId = container.Id }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            await WaitForgottenAsync(container.Id, mac, cancellationToken).ConfigureAwait(false);
        }

        return sample;
    }

    private ConvergenceSample Measure(int index, string id, string address, long start, long acknowledged, ArrivalTap tap, ProbeSender sender) =>
        new(index, id, address,
            AcknowledgedMs: Since(start, acknowledged),
            CreatedMs: Since(start, watch.FirstPut(ControlKeys.ContainersPrefix + id)),
            RegisteredMs: Since(start, watch.FirstPut(EndpointKey(id))),
            FirstPacketMs: Since(start, tap.FirstAt == 0 ? null : tap.FirstAt),
            FirstSentMs: Since(start, sender.SentAt(tap.FirstSequence) is long sent and not 0 ? sent : null),
            FirstSequence: tap.FirstSequence);

    private string EndpointKey(string containerId) => ControlKeys.Endpoints(networkId) + containerId;

    /// <summary>Until the endpoint's deletion was seen, the namespace is gone and the far sandbox holds no FDB entry for the MAC.</summary>
    private async Task WaitForgottenAsync(string id, PhysicalAddress mac, CancellationToken cancellationToken)
    {
        string name = HostNames.Container(options.ReceiverPrefix, id);
        long until = Stopwatch.GetTimestamp() + (long)(Forgotten.TotalSeconds * Stopwatch.Frequency);
        string remaining = "";
        while (Stopwatch.GetTimestamp() < until)
        {
            remaining = string.Join(", ", new[]
            {
                watch.FirstDelete(EndpointKey(id)) is null ? $"no watch reported {EndpointKey(id)} deleted" : null,
                NetworkNamespace.Exists(name) ? $"namespace {name} exists" : null,
                InFdb(options.SenderSandbox, mac) ? $"{options.SenderSandbox} still has a vxlan0 FDB entry for {mac}" : null,
            }.OfType<string>());
            if (remaining.Length == 0)
            {
                await Task.Delay(Settle + TimeSpan.FromMilliseconds(random.Next(JitterMsMax)), cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"container {id} was not forgotten within {Forgotten.TotalSeconds:0} s: {remaining}");
    }

    /// <summary>
    /// Whether the sandbox's VXLAN device has its own entry (one with a remote: what the agent
    /// programs) for the MAC. The bridge's learned entries on that port (from a reply such as an
    /// ICMP port unreachable) are not counted: they age out by themselves and send nothing
    /// anywhere without the device's entry.
    /// </summary>
    private static bool InFdb(string sandbox, PhysicalAddress mac)
    {
        using RouteNetlink netlink = RouteNetlink.OpenIn(sandbox);
        Link device = netlink.FindLink("vxlan0") ?? throw new InvalidOperationException($"{sandbox} has no vxlan0");
        return netlink.GetFdb(device.Index).Any(f => f.Remote is not null && f.Mac.Equals(mac));
    }

    /// <summary>A permanent neighbour entry for the new address in the sending container: its first datagram needs no ARP.</summary>
    private static void SetNeighbour(string container, IPAddress address, PhysicalAddress mac)
    {
        using RouteNetlink netlink = RouteNetlink.OpenIn(container);
        netlink.ReplaceNeighbour(Eth0(netlink, container), address, mac);
    }

    private static int Eth0(RouteNetlink netlink, string container) =>
        netlink.FindLink("eth0")?.Index ?? throw new InvalidOperationException($"{container} has no eth0");

    private static double Since(long start, long? at) => at is long t ? (t - start) * 1000.0 / Stopwatch.Frequency : double.NaN;
}
