using System.Text.Json;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Control;

/// <summary>`./backbone service ...` against a running node: records, names and virtual IPs in the store.</summary>
public sealed class ServiceCliTests
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task CreateScaleRemoveWithVirtualIps()
    {
        await using TestNode node = await TestNode.StartAsync();
        string net = (await Backbone(node.Endpoint, "network", "create", "appnet")).Stdout.Trim();
        Tool.Result created = await Backbone(node.Endpoint, "service", "create", "--name", "web", "--replicas", "3", "--network", "appnet",
            "--alias", "api", "--publish", "8080/tcp", "--publish", "name=http,target=80,protocol=tcp", "--", NodeProcess.Script(), "echo-server", "--port", "8080");
        Assert.True(created.ExitCode == 0, created.All);
        string id = created.Stdout.Trim();
        Assert.Equal(0, (await Backbone(node.Endpoint, "service", "create", "--name", "db", "--endpoint-mode", "dnsrr", "--network", net[..8], "--", "sleep", "infinity")).ExitCode);

        JsonElement web = Single(await Backbone(node.Endpoint, "service", "inspect", "web"));
        Assert.Equal(id, web.GetProperty("Id").GetString());
        Assert.Equal(3, web.GetProperty("Replicas").GetInt32());
        JsonElement attached = Assert.Single(web.GetProperty("Networks").EnumerateArray());
        Assert.Equal(("appnet", "10.0.0.2"), (attached.GetProperty("NetworkName").GetString(), attached.GetProperty("Vip").GetString()));
        Assert.Equal(["api"], attached.GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["8080", "http"], web.GetProperty("Ports").EnumerateArray().Select(p => p.GetProperty("Name").GetString()));
        Assert.Equal([NodeProcess.Script(), "echo-server", "--port", "8080"], web.GetProperty("Command").EnumerateArray().Select(c => c.GetString()));
        JsonElement db = Single(await Backbone(node.Endpoint, "service", "inspect", "db"));
        Assert.Equal("", Assert.Single(db.GetProperty("Networks").EnumerateArray()).GetProperty("Vip").GetString()); // dnsrr: no VIP

        // The VIP is allocated in IPAM to the service, so the network is in use.
        Assert.Equal($"/bb/ipam/{net}/10.0.0.2\nvip:{id}\n", (await Backbone(node.Endpoint, "kv", "get", $"/bb/ipam/{net}/", "--prefix")).Stdout);
        Assert.Contains("is in use", (await Backbone(node.Endpoint, "network", "rm", "appnet")).Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await Backbone(node.Endpoint, "service", "create", "--name", id[..1], "--", "sleep", "1")).ExitCode); // a name that starts an id is free
        Assert.Equal(id[..1] + "\n", (await Backbone(node.Endpoint, "service", "rm", id[..1])).Stdout);
        Assert.Equal("web scaled to 5\n", (await Backbone(node.Endpoint, "service", "scale", "web=5")).Stdout);
        Assert.Equal(5, Single(await Backbone(node.Endpoint, "service", "inspect", id[..6])).GetProperty("Replicas").GetInt32());
        string table = (await Backbone(node.Endpoint, "service", "ls")).Stdout;
        Assert.Contains("8080=8080/tcp,http=80/tcp", table, StringComparison.Ordinal);

        Assert.Equal("web\n", (await Backbone(node.Endpoint, "service", "rm", "web")).Stdout);
        Assert.Contains("network \"appnet\" is in use (1 services, 0 endpoints, 0 allocated addresses)", (await Backbone(node.Endpoint, "network", "rm", "appnet")).Stderr, StringComparison.Ordinal); // db, in dnsrr mode, holds no address
        Assert.Equal("db\n", (await Backbone(node.Endpoint, "service", "rm", "db")).Stdout);
        Assert.Equal("", (await Backbone(node.Endpoint, "kv", "get", "/bb/ipam/", "--prefix")).Stdout);
        Assert.Equal("", (await Backbone(node.Endpoint, "kv", "get", "/bb/services/", "--prefix", "--keys-only")).Stdout);
        Assert.Equal("appnet\n", (await Backbone(node.Endpoint, "network", "rm", "appnet")).Stdout);
    }

    [Fact]
    public async Task AnEncryptedNetworkIsRefusedForServicesAndContainersSayingWhy()
    {
        await using TestNode node = await TestNode.StartAsync();
        Assert.Equal(0, (await Backbone(node.Endpoint, "network", "create", "--opt", "encrypted", "--attachable", "secret")).ExitCode);
        string before = (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout;

        Tool.Result service = await Backbone(node.Endpoint, "service", "create", "--name", "web", "--network", "secret", "--", "sleep", "1");
        Tool.Result container = await Backbone(node.Endpoint, "container", "run", "--name", "probe", "--network", "secret", "--", "sleep", "1");

        foreach (Tool.Result refused in new[] { service, container })
        {
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("network \"secret\" is encrypted", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("cleartext", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("without --opt encrypted", refused.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(before, (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout); // nothing was written
    }

    [Fact]
    public async Task BadInputIsRefusedAndNothingIsHalfCreated()
    {
        await using TestNode node = await TestNode.StartAsync();
        await Backbone(node.Endpoint, "network", "create", "appnet");
        Assert.Equal(0, (await Backbone(node.Endpoint, "service", "create", "--name", "web", "--network", "appnet", "--", "sleep", "1")).ExitCode);
        string before = (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix")).Stdout;

        (string[] Args, string Message)[] cases =
        [
            (["service", "create", "--name", "web", "--", "sleep", "1"], "a service named \"web\" already exists"),
            (["service", "create", "--name", "api", "--network", "nosuch", "--", "sleep", "1"], "no network \"nosuch\""),
            (["service", "create", "--name", "api", "--replicas", "-2", "--", "sleep", "1"], "--replicas -2 is out of range"),
            (["service", "create", "--name", "api"], "no command: give it after --"),
            (["service", "create", "--name", "api", "--publish", "http", "--", "sleep", "1"], "--publish \"http\" is not a port"),
            (["service", "create", "--name", "api", "--endpoint-mode", "rr", "--", "sleep", "1"], "--endpoint-mode \"rr\""),
            (["service", "create", "--name", "api", "--", "/no/such/program"], "command \"/no/such/program\" does not exist on this node"),
            (["service", "create", "--name", "api", "--", "nosuchprogram"], "command \"nosuchprogram\" is not found in any directory of this node's PATH"),
            (["service", "scale", "web=-1"], "--replicas -1 is out of range"),
            (["service", "scale", "nosuch=2"], "no service \"nosuch\""),
            (["service", "update", "nosuch", "--replicas", "2"], "no service \"nosuch\""),
            (["service", "update", "web", "--restart-condition", "sometimes"], "--restart-condition \"sometimes\""),
            (["service", "update", "web", "--", "/no/such/program"], "command \"/no/such/program\" does not exist"),
            (["service", "rm", "nosuch"], "no service \"nosuch\""),
        ];
        foreach ((string[] args, string message) in cases)
        {
            Tool.Result refused = await Backbone(node.Endpoint, args);
            Assert.True(refused.ExitCode != 0, $"{string.Join(' ', args)} succeeded\n{refused.All}");
            Assert.Contains(message, refused.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(before, (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix")).Stdout);
    }

    private static JsonElement Single(Tool.Result inspect) => Assert.Single(JsonDocument.Parse(inspect.Stdout).RootElement.EnumerateArray());
}
