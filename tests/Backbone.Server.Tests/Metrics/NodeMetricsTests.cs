using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Backbone.Dns.Tests.Metrics;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Dns;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Metrics;

/// <summary>
/// <c>--metrics-addr</c> on a real node process: `dig` asks its host DNS listener a known mix
/// (names from the table over UDP and TCP, names forwarded to a fake upstream, one answered from
/// the cache, a malformed packet, one too short to answer), and a scrape of <c>/metrics</c> over
/// HTTP/1.1 before and after moves by exactly that mix. The flag's errors name the flag and the fix.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeMetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AScrapeMovesByExactlyWhatTheHostListenerAnswered()
    {
        await using var upstream = new FakeUpstream(new Dictionary<string, IPAddress> { ["external.test"] = IPAddress.Parse("192.0.2.7") });
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbmetrics",
            memberFlags: ["--dns-upstream", upstream.Endpoint.ToString(), "--metrics-addr", "127.0.0.1:0"]);
        ClusterMember node = cluster[0];
        string url = await node.MetricsUrlAsync(TimeSpan.FromSeconds(10));
        string dns = await node.DnsEndpointAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient { Timeout = Patience };

        // A vip-mode service's name answers its VIP from the table though no agent runs its task.
        Assert.Equal(0, (await Backbone(node, "network", "create", "--subnet", "10.233.9.0/24", "metnet")).ExitCode);
        Assert.Equal(0, (await Backbone(node, "service", "create", "--name", "web", "--replicas", "1", "--network", "metnet", "--", "/bin/true")).ExitCode);
        string vip = JsonDocument.Parse((await Backbone(node, "service", "inspect", "web")).Stdout).RootElement[0].GetProperty("Networks")[0].GetProperty("Vip").GetString()!;
        await Poll.UntilAsync(async () => (await DigAsync(dns, "web.metnet", "+short")).Stdout.Trim() == vip, Patience, () => "web.metnet never answered its VIP");

        Exposition before = await ScrapeAsync(http, url);
        Assert.Contains("status: NOERROR", (await DigAsync(dns, "web.metnet")).Stdout, StringComparison.Ordinal);
        Assert.Contains("status: NOERROR", (await DigAsync(dns, "web.metnet", "+tcp")).Stdout, StringComparison.Ordinal);
        Assert.Equal("192.0.2.7", (await DigAsync(dns, "external.test", "+short")).Stdout.Trim()); // forwarded
        Assert.Equal("192.0.2.7", (await DigAsync(dns, "external.test", "+short")).Stdout.Trim()); // the cache's
        Assert.Contains("status: NXDOMAIN", (await DigAsync(dns, "nosuch.test")).Stdout, StringComparison.Ordinal); // forwarded
        IPEndPoint listener = IPEndPoint.Parse(dns);
        using (var udp = new UdpClient())
        {
            udp.Connect(listener);
            // A header and a name that is a compression pointer past the end: FORMERR.
            await udp.SendAsync(new byte[] { 0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0, 1, 0, 1 });
            UdpReceiveResult formerr = await udp.ReceiveAsync().WaitAsync(Patience);
            Assert.Equal(1, formerr.Buffer[3] & 0xf);
            await udp.SendAsync(new byte[5]); // too short to answer: dropped, no reply
        }

        Exposition after = before;
        await Poll.UntilAsync(async () => (after = await ScrapeAsync(http, url))["backbone_dns_queries_dropped_total"] > before["backbone_dns_queries_dropped_total"],
            Patience, () => "the short packet was never counted as dropped");

        double Moved(string series) => after[series] - before[series];
        Assert.Equal(7, Moved("backbone_dns_queries_total"));
        Assert.Equal(1, Moved("backbone_dns_queries_dropped_total"));
        Assert.Equal(4, Moved("backbone_dns_responses_total{rcode=\"NOERROR\"}"));
        Assert.Equal(1, Moved("backbone_dns_responses_total{rcode=\"NXDOMAIN\"}"));
        Assert.Equal(1, Moved("backbone_dns_responses_total{rcode=\"FORMERR\"}"));
        Assert.Equal(0, Moved("backbone_dns_responses_total{rcode=\"SERVFAIL\"}"));
        Assert.Equal(2, Moved("backbone_dns_forwards_started_total"));
        Assert.Equal(2, Moved("backbone_dns_forwards_total{result=\"answered\"}"));
        Assert.Equal(0, Moved("backbone_dns_forwards_total{result=\"failed\"}"));
        Assert.Equal(2, after.Histogram("backbone_dns_forward_seconds").Count - before.Histogram("backbone_dns_forward_seconds").Count);
        Assert.Equal(1, Moved("backbone_dns_cache_hits_total"));
        Assert.Equal(2, Moved("backbone_dns_cache_misses_total"));
        Assert.Equal(2, upstream.Queries);
        Assert.True(after["backbone_dns_names"] > 0, "the table has web's names");
        Assert.True(after["backbone_dns_table_revision"] > 0);

        // Every response sent is timed, over UDP and TCP, from the table or from upstream.
        double responses = Enumerable.Range(0, 6).Sum(Rcode(after)); // the rcodes always written; nothing else is sent here
        Assert.Equal(responses, after.Histogram("backbone_dns_response_seconds").Count);

        // The store's gauges: this node is the one-member cluster's leader.
        Assert.Equal(1, after["backbone_raft_is_leader"]);
        Assert.True(after["backbone_store_revision"] >= after["backbone_dns_table_revision"]);

        // Every family is documented: the DNS server's in docs/dns.md, the store's in docs/operations.md.
        string docs = await File.ReadAllTextAsync(DocsFile("dns.md")) + await File.ReadAllTextAsync(DocsFile("operations.md"));
        Assert.All(after.Types.Keys, family => Assert.Matches($"`{family}[`{{]", docs)); // `name` or `name{label}`

        // Only /metrics, and only GET or HEAD.
        using HttpResponseMessage missing = await http.GetAsync(url.Replace("/metrics", "/nope", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using HttpResponseMessage posted = await http.PostAsync(url, new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode);
    }

    [Fact]
    public async Task AValueThatIsNotIpPortSaysHowToWriteIt()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"bbmetrics-{Guid.NewGuid():N}");
        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(), ["node", "--data-dir", dataDir, "--metrics-addr", "nine-zero-nine-zero"], timeout: TimeSpan.FromSeconds(120));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Error: --metrics-addr:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9090", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDir), "a bad flag is refused before anything is made");
    }

    [Fact]
    public async Task APortInUseStopsTheStartAndNamesTheFlag()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        string address = taken.LocalEndpoint.ToString()!;
        string dataDir = Path.Combine(Path.GetTempPath(), $"bbmetrics-{Guid.NewGuid():N}");
        try
        {
            Tool.Result result = await Tool.RunAsync(NodeProcess.Script(),
                ["node", "--data-dir", dataDir, "--listen-client", $"127.0.0.1:{FreePort.Next()}", "--metrics-addr", address], timeout: TimeSpan.FromSeconds(120));

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"Error: --metrics-addr {address}: Address already in use. Give another IP:PORT", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static Func<int, double> Rcode(Exposition scrape)
    {
        string[] names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
        return rcode => scrape[$"backbone_dns_responses_total{{rcode=\"{names[rcode]}\"}}"];
    }

    private static async Task<Exposition> ScrapeAsync(HttpClient http, string url)
    {
        using HttpResponseMessage response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return Exposition.Parse(await response.Content.ReadAsStringAsync());
    }

    private static Task<Tool.Result> Backbone(ClusterMember node, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", node.ClientEndpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    private static Task<Tool.Result> DigAsync(string server, params string[] args)
    {
        string[] hostPort = server.Split(':');
        return Tool.RunAsync(Tool.Require("dig", "dnsutils"), ["@" + hostPort[0], "-p", hostPort[1], "+time=5", "+tries=1", .. args]);
    }

    /// <summary>docs/NAME, found above the test's own directory (the repository it was built from).</summary>
    private static string DocsFile(string name)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/{name} is in no directory above {AppContext.BaseDirectory}");
    }
}
