using System.Net;
using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Dns;

/// <summary>
/// The embedded DNS server with real resolvers: glibc (`getent`) inside a container's namespace
/// through its resolv.conf (127.0.0.11), and `dig` against the host listener; names follow the
/// store as services scale and go, and other names are forwarded to a fake upstream on loopback.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ContainerDnsTests(ITestOutputHelper output)
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    private static Task<Tool.Result> Dig(string server, params string[] args)
    {
        string[] hostPort = server.Split(':');
        return Tool.RunAsync(Tool.Require("dig", "dnsutils"), ["@" + hostPort[0], "-p", hostPort[1], "+time=2", "+tries=1", .. args]);
    }

    [SkippableFact]
    public async Task ContainersResolveServicesTasksAliasesAndTheOutsideWorld()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "needs root: the agent creates network namespaces and links");
        string prefix = $"bbt{Guid.NewGuid().ToString("N")[..4]}-";
        await using var upstream = new FakeUpstream(new Dictionary<string, IPAddress> { ["external.test"] = IPAddress.Parse("192.0.2.7") });
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(1, "bbdns", memberFlags: ["--dns-upstream", upstream.Endpoint.ToString()], agentPrefix: prefix);
            string endpoint = cluster[0].ClientEndpoint;
            string hostDns = await cluster[0].DnsEndpointAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--subnet", "10.233.1.0/24", "appnet")).ExitCode);
            string[] echo = [NodeProcess.Script(), "echo-server", "--port", "8080"];
            Assert.Equal(0, (await Backbone(endpoint, ["service", "create", "--name", "web", "--replicas", "2", "--network", "appnet", "--alias", "api", "--publish", "8080/tcp", "--", .. echo])).ExitCode);
            Assert.Equal(0, (await Backbone(endpoint, ["service", "create", "--name", "db", "--endpoint-mode", "dnsrr", "--replicas", "2", "--network", "appnet", "--", .. echo])).ExitCode);
            JsonElement[] web = await RunningAsync(endpoint, "web", 2);
            JsonElement[] db = await RunningAsync(endpoint, "db", 2);
            string vip = JsonDocument.Parse((await Backbone(endpoint, "service", "inspect", "web")).Stdout).RootElement[0].GetProperty("Networks")[0].GetProperty("Vip").GetString()!;
            string[] webIps = [.. web.Select(Address).Order()];
            string[] dbIps = [.. db.Select(Address).Order()];

            // Inside web.1, through glibc and the container's resolv.conf.
            Assert.Equal([vip], await GetentAsync(endpoint, "web.1", "hosts", "web"));
            Assert.Equal([vip], await GetentAsync(endpoint, "web.1", "hosts", "api"));
            Assert.Equal(webIps, await GetentAsync(endpoint, "web.1", "ahosts", "tasks.web"));
            Assert.Equal(dbIps, await GetentAsync(endpoint, "web.1", "ahosts", "db"));
            Assert.Equal([webIps[1]], await GetentAsync(endpoint, "web.1", "hosts", web.Single(t => Address(t) == webIps[1]).GetProperty("Name").GetString()!));
            Assert.Equal(["192.0.2.7"], await GetentAsync(endpoint, "web.1", "hosts", "external.test")); // forwarded upstream
            Assert.True(upstream.Queries > 0);
            Assert.Equal(2, (await Backbone(endpoint, "exec", "web.1", "--", "getent", "hosts", "nosuch.test")).ExitCode); // NXDOMAIN from upstream: not found

            // The host listener: every network, qualified names, SRV, PTR, over UDP and TCP.
            Assert.Equal(vip, (await Dig(hostDns, "web.appnet", "+short")).Stdout.Trim());
            Assert.Equal(webIps, (await Dig(hostDns, "tasks.web", "+short", "+tcp")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            Tool.Result srv = await Dig(hostDns, "_8080._tcp.web", "SRV");
            Assert.Equal(2, srv.Stdout.Split('\n').Count(l => l.Contains("IN\tSRV\t", StringComparison.Ordinal)));
            Assert.Contains("ADDITIONAL SECTION", srv.Stdout, StringComparison.Ordinal);
            Tool.Result ptr = await Dig(hostDns, "-x", webIps[0], "+short");
            Assert.Matches(@"^web\.\d\.[a-z0-9]{25}\.appnet\.$", ptr.Stdout.Trim());
            Tool.Result aaaa = await Dig(hostDns, "web", "AAAA");
            Assert.Contains("status: NOERROR", aaaa.Stdout, StringComparison.Ordinal);
            Assert.Contains("ANSWER: 0", aaaa.Stdout, StringComparison.Ordinal);

            // Names follow the store, with nothing restarted.
            Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=3")).ExitCode);
            await RunningAsync(endpoint, "web", 3);
            await Poll.UntilAsync(async () => (await GetentAsync(endpoint, "web.1", "ahosts", "tasks.web")).Count == 3, TimeSpan.FromSeconds(10), () => "tasks.web did not grow to 3");
            Assert.Equal(0, (await Backbone(endpoint, "service", "rm", "db")).ExitCode);
            await Poll.UntilAsync(async () => (await Backbone(endpoint, "exec", "web.1", "--", "getent", "hosts", "db")).ExitCode == 2, TimeSpan.FromSeconds(10), () => "db still resolves after its removal");
        }
        finally
        {
            await HostNamespaces.RemoveAsync(prefix);
        }
    }

    private static string Address(JsonElement task) => task.GetProperty("Addresses")[0].GetString()!.Split('=')[1];

    /// <summary>The distinct addresses `getent DATABASE NAME` prints inside a task's container.</summary>
    private static async Task<IReadOnlyList<string>> GetentAsync(string endpoint, string task, string database, string name)
    {
        Tool.Result result = await Backbone(endpoint, "exec", task, "--", "getent", database, name);
        Assert.True(result.ExitCode == 0, $"getent {database} {name} in {task}: exit {result.ExitCode}\n{result.All}");
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).Distinct().Order()];
    }

    private async Task<JsonElement[]> RunningAsync(string endpoint, string service, int count)
    {
        JsonElement[] tasks = [];
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", service, "--format", "json");
            tasks = ps.ExitCode == 0 ? [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()] : [];
            return tasks.Length == count && tasks.All(t => t.GetProperty("CurrentState").GetString() == "running");
        }, TimeSpan.FromSeconds(60), () => $"not {count} running tasks of {service}");
        output.WriteLine($"{service}: {string.Join(", ", tasks.Select(t => $"{t.GetProperty("Name")} {Address(t)}"))}");
        return tasks;
    }
}
