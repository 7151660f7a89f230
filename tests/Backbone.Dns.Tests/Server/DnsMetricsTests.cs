using System.Net;
using Backbone.Control;
using Backbone.Core.Metrics;
using Backbone.Dns.Feed;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Backbone.Dns.Tests.Forwarding;
using Backbone.Dns.Tests.Metrics;
using Etcdserverpb;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// A real DNS server (host listener on loopback, forwarder, fake upstream) asked a known mix of
/// queries over UDP and TCP, then scraped: the exposition parses strictly and every count is the
/// mix's, exactly.
/// </summary>
public sealed class DnsMetricsTests
{
    private const long StoreRevision = 7;

    [Fact]
    public async Task AScrapeCountsExactlyWhatTheListenerDid()
    {
        await using var upstream = new FakeUpstream(UpstreamScript.Addresses("192.0.2.10"));
        var forwarder = new UpstreamForwarder(new ForwarderOptions { Upstreams = [upstream.Endpoint] }, TimeProvider.System);
        var names = new NameFeed(new EmptyStore(), feed: null, new NameTableOptions(), TimeProvider.System, _ => { });
        await names.RefreshAsync(CancellationToken.None);
        var notes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = new DnsServer(names, forwarder, notes.Enqueue);
        server.ListenOnHost(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint endpoint = server.HostEndpoint!;

        Assert.Equal(MessageStatus.NoError, (await UdpAsync(endpoint, Query("a.example", DnsType.A))).Status); // forwarded
        Assert.Equal(MessageStatus.NoError, (await UdpAsync(endpoint, Query("a.example", DnsType.A))).Status); // from the cache
        Assert.Equal(MessageStatus.NoError, (await TcpAsync(endpoint, Query("b.example", DnsType.A))).Status); // forwarded, over TCP
        byte[]? formerr = await UdpRawAsync(endpoint, [.. Packets.Header(0xbeef), 0xc0, 0xff, 0, 1, 0, 1], Patience); // a pointer past the end
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(formerr!));
        using (var socket = new System.Net.Sockets.UdpClient())
        {
            await socket.SendAsync(new byte[5], endpoint); // too short to answer: dropped
        }

        await Poll.UntilAsync(() => server.Counters.Dropped == 1, "the short packet was read and dropped");

        Exposition scrape = Scrape(server);
        Assert.Equal(5, scrape["backbone_dns_queries_total"]);
        Assert.Equal(1, scrape["backbone_dns_queries_dropped_total"]);
        Assert.Equal(3, scrape["backbone_dns_responses_total{rcode=\"NOERROR\"}"]);
        Assert.Equal(1, scrape["backbone_dns_responses_total{rcode=\"FORMERR\"}"]);
        Assert.Equal(0, scrape["backbone_dns_responses_total{rcode=\"SERVFAIL\"}"]);
        Assert.Equal(2, scrape["backbone_dns_forwards_started_total"]);
        Assert.Equal(2, scrape["backbone_dns_forwards_total{result=\"answered\"}"]);
        Assert.Equal(0, scrape["backbone_dns_forwards_total{result=\"failed\"}"]);
        Assert.Equal(0, scrape["backbone_dns_forwards_total{result=\"overloaded\"}"]);
        Assert.Equal(0, scrape["backbone_dns_forwards_total{result=\"no_upstream\"}"]);
        Assert.Equal(2, scrape.Histogram("backbone_dns_forward_seconds").Count);
        Assert.Equal(0, scrape["backbone_dns_forwards_running"]);
        Assert.Equal(0, scrape["backbone_dns_forwards_waiting"]);
        Assert.Equal(1, scrape["backbone_dns_cache_hits_total"]);
        Assert.Equal(2, scrape["backbone_dns_cache_misses_total"]);
        Assert.Equal(2, scrape["backbone_dns_cache_entries"]);
        Assert.Equal(0, scrape["backbone_dns_cache_evictions_total"]);
        Assert.Equal(0, scrape["backbone_dns_names"]);
        Assert.Equal(StoreRevision, scrape["backbone_dns_table_revision"]);
        Assert.Equal(1, scrape["backbone_dns_table_builds_total"]);
        Assert.Equal(0, scrape["backbone_dns_container_listeners"]);
        Assert.Equal(2, upstream.Queries);

        // Every response sent is timed.
        Assert.Equal(4, scrape.Histogram("backbone_dns_response_seconds").Count);
        Assert.Empty(notes);
    }

    private static Exposition Scrape(DnsServer server)
    {
        var writer = new PrometheusWriter();
        new DnsMetrics(server).WriteTo(writer);
        return Exposition.Parse(writer.ToString());
    }

    /// <summary>A store with no networks, services or endpoints, at revision <see cref="StoreRevision"/>.</summary>
    private sealed class EmptyStore : IKeyValue
    {
        public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) => throw new NotSupportedException("the name feed reads in one Txn");

        public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
        {
            var response = new TxnResponse { Header = new ResponseHeader { Revision = StoreRevision }, Succeeded = true };
            foreach (RequestOp _ in request.Success)
            {
                response.Responses.Add(new ResponseOp { ResponseRange = new RangeResponse() });
            }

            return Task.FromResult(response);
        }
    }
}
