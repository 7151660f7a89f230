using System.Net;
using Backbone.Dns.Feed;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Overlay.Netlink;

namespace Backbone.Dns.Server;

/// <summary>
/// A node's DNS server: one name table (<see cref="NameFeed"/>), one forwarder and cache, and
/// its listeners: one on a host address that sees every network, and one at 127.0.0.11:53 inside
/// each container namespace that sees the container's networks. A container's listener is opened
/// from a thread that enters its namespace (the sockets stay bound there and are served from the
/// thread pool) and closed before the namespace is removed: an open socket would keep it alive.
/// </summary>
public sealed class DnsServer(NameFeed names, UpstreamForwarder forwarder, Action<string> note) : IAsyncDisposable
{
    /// <summary>Where containers' resolv.conf points.</summary>
    public static readonly IPEndPoint ContainerEndpoint = new(IPAddress.Parse("127.0.0.11"), 53);

    private readonly Dictionary<string, (DnsListener Listener, string[] Networks)> containers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly DnsResponder responder = new(() => names.Current);
    private DnsListener? host;

    /// <summary>How many container listeners are open: written under the gate, read by scrapes without it.</summary>
    private int containerListeners;

    public DnsCounters Counters { get; } = new();

    public UpstreamForwarder Forwarder => forwarder;

    public NameFeed Names => names;

    /// <summary>Container namespaces served now (each a UDP and a TCP socket at 127.0.0.11:53).</summary>
    public int ContainerListeners => Volatile.Read(ref containerListeners);

    public IPEndPoint? HostEndpoint => host?.Endpoint;

    public void ListenOnHost(IPEndPoint endpoint)
    {
        (var udp, var tcp) = DnsListener.Bind(endpoint);
        host = new DnsListener(udp, tcp, NameScope.All, responder, forwarder, Counters, note, udpBatch: 64);
    }

    /// <summary>
    /// Makes the container listeners match <paramref name="wanted"/> (container namespace →
    /// the ids of its networks): opens the missing, closes those no longer wanted, reopens those
    /// whose networks changed. A namespace it cannot enter is noted and tried again next call.
    /// </summary>
    public async Task SyncContainersAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> wanted)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (string gone in containers.Keys.Where(ns => !wanted.TryGetValue(ns, out IReadOnlyList<string>? networks) || !networks.SequenceEqual(containers[ns].Networks)).ToList())
            {
                try
                {
                    await containers[gone].Listener.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    note($"dns: closing the listener in {gone}: {e.Message}");
                }
                finally
                {
                    containers.Remove(gone); // one bad listener never keeps the others, or itself, from going
                }
            }

            foreach ((string ns, IReadOnlyList<string> networks) in wanted.Where(w => !containers.ContainsKey(w.Key)))
            {
                try
                {
                    (var udp, var tcp) = NetworkNamespace.Run(ns, () => DnsListener.Bind(ContainerEndpoint));
                    containers[ns] = (new DnsListener(udp, tcp, NameScope.Of([.. networks]), responder, forwarder, Counters, note, udpBatch: 8), [.. networks]);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    note($"dns: cannot listen in {ns}: {e.Message} (tried again on the agent's next round)");
                }
            }
        }
        finally
        {
            Volatile.Write(ref containerListeners, containers.Count);
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await SyncContainersAsync(new Dictionary<string, IReadOnlyList<string>>()).ConfigureAwait(false);
        if (host is not null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }
}
