using System.Net;
using Backbone.Control;
using Backbone.Dns.Feed;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Microsoft.Extensions.Hosting;

namespace Backbone.Server.Control;

/// <summary>
/// Starts a cluster node's DNS server: the name table fed from the store, the host listener
/// (--dns-addr, all networks), and the per-container listeners the agent asks for. A host
/// address that cannot be bound is reported, not fatal: containers are still served.
/// </summary>
public static class DnsStart
{
    public static DnsServer? Start(NodeOptions options, IKeyValue kv, IEventFeed? feed, TimeProvider time, Action<string> note, IHostApplicationLifetime lifetime)
    {
        // Never ourselves: a host resolv.conf naming this node's own listener would loop every forward back in.
        IReadOnlyList<IPEndPoint> upstreams = [.. (options.DnsUpstreams ?? ResolvConf.Nameservers()).Where(u => !u.Equals(options.DnsAddress))];
        var names = new NameFeed(kv, feed, new NameTableOptions { Ttl = options.DnsTtlSeconds }, time, note);
        var server = new DnsServer(names, new UpstreamForwarder(new ForwarderOptions { Upstreams = upstreams }, time), note);
        _ = names.RunAsync(lifetime.ApplicationStopping);
        if (options.DnsAddress is { } address)
        {
            try
            {
                server.ListenOnHost(address);
                note($"dns: serving every network's names on {server.HostEndpoint} (udp, tcp); forwarding the rest to {(upstreams.Count == 0 ? "no upstream (give --dns-upstream)" : string.Join(", ", upstreams))}");
            }
            catch (System.Net.Sockets.SocketException e)
            {
                note($"dns: cannot listen on {address}: {e.Message}; containers are still served. Give --dns-addr another address, or off");
            }
        }

        lifetime.ApplicationStopped.Register(() => server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5)));
        return server;
    }
}
