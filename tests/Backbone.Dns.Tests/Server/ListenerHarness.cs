using System.Collections.Concurrent;
using System.Net;
using Backbone.Control.Endpoints;
using Backbone.Control.Services;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Backbone.Dns.Tests.Forwarding;
using Backbone.Dns.Tests.Names;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// A host listener (every network in scope) on 127.0.0.1 with a free port, over a hand-built
/// name table, forwarding to a <see cref="FakeUpstream"/> on loopback. The table:
/// <list type="bullet">
/// <item>network <c>front</c>;</item>
/// <item>service <c>web</c> (vip 10.0.1.2, alias <c>www</c>, publishes 8080/tcp named <c>8080</c>), tasks 10.0.1.5 and 10.0.1.6;</item>
/// <item>service <c>big</c> (dnsrr), <see cref="BigTasks"/> tasks at 10.0.2.1 and up: too many for 512 bytes;</item>
/// <item>container <c>db</c> at 10.0.1.30.</item>
/// </list>
/// </summary>
public sealed class ListenerHarness : IAsyncDisposable
{
    public const string WebVip = "10.0.1.2";
    public const int BigTasks = 60;

    /// <summary>What the fake upstream answers by default for any name.</summary>
    public const string UpstreamAddress = "192.0.2.10";

    public static readonly ServiceRecord Web = Fixtures.Service("web", "vip", [Fixtures.On("front", WebVip, "www")], [Fixtures.Port("8080", 8080)]);
    public static readonly ServiceRecord Big = Fixtures.Service("big", "dnsrr", [Fixtures.On("front")]);

    private readonly ConcurrentQueue<string> notes = new();

    private ListenerHarness(FakeUpstream upstream, UpstreamForwarder forwarder)
    {
        Upstream = upstream;
        Forwarder = forwarder;
        var responder = new DnsResponder(() => Table);
        (var udp, var tcp) = DnsListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Listener = new DnsListener(udp, tcp, NameScope.All, responder, forwarder, Counters, notes.Enqueue);
    }

    public static NameTable Table { get; } = BuildTable();

    public FakeUpstream Upstream { get; }

    public UpstreamForwarder Forwarder { get; }

    public DnsListener Listener { get; }

    public DnsCounters Counters { get; } = new();

    public IPEndPoint Endpoint => Listener.Endpoint;

    /// <summary>What the listener logged: it logs only its own failures, so tests expect none.</summary>
    public IReadOnlyCollection<string> Notes => notes;

    public static ListenerHarness Start(UpstreamScript? upstream = null, Func<ForwarderOptions, ForwarderOptions>? configure = null, TimeProvider? time = null)
    {
        var fake = new FakeUpstream(upstream ?? UpstreamScript.Addresses(UpstreamAddress));
        var options = new ForwarderOptions { Upstreams = [fake.Endpoint], TryTimeout = TimeSpan.FromSeconds(2), Tries = 2 };
        var forwarder = new UpstreamForwarder(configure?.Invoke(options) ?? options, time ?? TimeProvider.System);
        return new ListenerHarness(fake, forwarder);
    }

    /// <summary>The full name of task <paramref name="slot"/> of <paramref name="service"/>, qualified by its network, without the trailing dot.</summary>
    public static string TaskName(ServiceRecord service, int slot) => Fixtures.TaskName(service, slot) + ".front";

    public static string BigTaskAddress(int slot) => $"10.0.2.{slot}";

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    private static NameTable BuildTable()
    {
        List<EndpointRecord> endpoints =
        [
            Fixtures.Task(Web, 1, "front", "10.0.1.5"),
            Fixtures.Task(Web, 2, "front", "10.0.1.6"),
            Fixtures.Container("db", "front", "10.0.1.30"),
        ];
        for (int slot = 1; slot <= BigTasks; slot++)
        {
            endpoints.Add(Fixtures.Task(Big, slot, "front", BigTaskAddress(slot)));
        }

        return Fixtures.Table([Fixtures.Network("front")], [Web, Big], [.. endpoints]);
    }
}
