using System.Text.Json;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Control;

/// <summary>`./backbone network ...` as an operator types it, against a running node; the store's keys checked with `kv get`.</summary>
public sealed class NetworkCliTests
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task CreateListInspectRemove()
    {
        await using TestNode node = await TestNode.StartAsync();
        Tool.Result created = await Backbone(node.Endpoint, "network", "create", "appnet");
        Assert.True(created.ExitCode == 0, created.All);
        string id = created.Stdout.Trim();
        Assert.Matches("^[a-z0-9]{25}$", id);
        Tool.Result secure = await Backbone(node.Endpoint, "network", "create", "--subnet", "192.168.50.0/24", "--gateway", "192.168.50.254",
            "--ip-range", "192.168.50.128/25", "--opt", "encrypted", "--attachable", "secure");
        Assert.True(secure.ExitCode == 0, secure.All);

        JsonElement[] list = Json((await Backbone(node.Endpoint, "network", "ls", "--format", "json")).Stdout);
        Assert.Equal(["appnet", "secure"], list.Select(n => n.GetProperty("Name").GetString()));
        Assert.Equal(("10.0.0.0/24", "10.0.0.1", 4096, 1450), Summary(list[0]));
        Assert.Equal(("192.168.50.0/24", "192.168.50.254", 4097, 1424), Summary(list[1]));
        Assert.True(list[1].GetProperty("Encrypted").GetBoolean() && list[1].GetProperty("Attachable").GetBoolean());
        Assert.Equal("192.168.50.128/25", list[1].GetProperty("IpRange").GetString());

        string table = (await Backbone(node.Endpoint, "network", "ls")).Stdout;
        Assert.Contains("appnet", table, StringComparison.Ordinal);
        Assert.Contains("encrypted,attachable", table, StringComparison.Ordinal);

        // By name, by id, by unique id prefix.
        foreach (string reference in new[] { "appnet", id, id[..6] })
        {
            JsonElement[] inspected = Json((await Backbone(node.Endpoint, "network", "inspect", reference)).Stdout);
            Assert.Equal(id, Assert.Single(inspected).GetProperty("Id").GetString());
        }

        // What the store holds: the records, the name and VNI claims, the encrypted network's keys, the guard.
        string keys = (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout;
        string secureId = Json((await Backbone(node.Endpoint, "network", "inspect", "secure")).Stdout)[0].GetProperty("Id").GetString()!;
        string[] expected = [$"/bb/keys/{secureId}", "/bb/meta/networks", "/bb/names/networks/appnet", "/bb/names/networks/secure", $"/bb/networks/{id}", $"/bb/networks/{secureId}", "/bb/vni/4096", "/bb/vni/4097"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), keys.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        Assert.Equal("appnet\nsecure\n", (await Backbone(node.Endpoint, "network", "rm", "appnet", "secure")).Stdout);
        Assert.Equal("/bb/meta/networks\n", (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout);
        Assert.Empty(Json((await Backbone(node.Endpoint, "network", "ls", "--format", "json")).Stdout));
    }

    [Fact]
    public async Task BadInputIsRefusedAndNothingIsHalfCreated()
    {
        await using TestNode node = await TestNode.StartAsync();
        Assert.Equal(0, (await Backbone(node.Endpoint, "network", "create", "--subnet", "10.0.0.0/16", "appnet")).ExitCode);
        string before = (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix")).Stdout;

        (string[] Args, int Exit, string Message)[] cases =
        [
            (["network", "create", "appnet"], 1, "a network named \"appnet\" already exists"),
            (["network", "create", "--subnet", "10.0.9.0/24", "other"], 1, "overlaps network \"appnet\" (10.0.0.0/16)"),
            (["network", "create", "--subnet", "10.1.0.0/33", "other"], 1, "prefix length must be a number from 0 to 32"),
            (["network", "create", "--subnet", "10.1.0.1/24", "other"], 1, "host bits set: the subnet is 10.1.0.0/24"),
            (["network", "create", "--gateway", "10.1.0.1", "other"], 1, "--gateway and --ip-range need --subnet"),
            (["network", "create", "bad name"], 1, "not a valid network name"),
            (["network", "create", "--driver", "bridge", "other"], 1, "only \"overlay\" is supported"),
            (["network", "create", "--opt", "turbo", "other"], 2, "unknown --opt \"turbo\""),
            (["network", "inspect", "nosuch"], 1, "no network \"nosuch\""),
            (["network", "rm", "nosuch"], 1, "no network \"nosuch\""),
        ];
        foreach ((string[] args, int exit, string message) in cases)
        {
            Tool.Result refused = await Backbone(node.Endpoint, args);
            Assert.True(refused.ExitCode == exit, $"{string.Join(' ', args)}: exit {refused.ExitCode}\n{refused.All}");
            Assert.Contains(message, refused.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(before, (await Backbone(node.Endpoint, "kv", "get", "/bb/", "--prefix")).Stdout);
    }

    [Fact]
    public async Task ANetworkInUseIsNotRemoved()
    {
        await using TestNode node = await TestNode.StartAsync();
        string id = (await Backbone(node.Endpoint, "network", "create", "busy")).Stdout.Trim();
        Assert.Equal("OK\n", (await Backbone(node.Endpoint, "kv", "put", $"/bb/ipam/{id}/10.0.0.2", "endpoint-1")).Stdout);

        Tool.Result refused = await Backbone(node.Endpoint, "network", "rm", "busy");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("network \"busy\" is in use (0 services, 0 endpoints, 1 allocated addresses)", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(Json((await Backbone(node.Endpoint, "network", "ls", "--format", "json")).Stdout));

        await Backbone(node.Endpoint, "kv", "del", $"/bb/ipam/{id}/10.0.0.2");
        Assert.Equal("busy\n", (await Backbone(node.Endpoint, "network", "rm", "busy")).Stdout);
    }

    [Fact]
    public async Task ConcurrentCreatesNeverShareASubnetOrAVni()
    {
        await using TestNode node = await TestNode.StartAsync();
        Tool.Result[] results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Backbone(node.Endpoint, "network", "create", $"net{i}")));
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.All));

        JsonElement[] list = Json((await Backbone(node.Endpoint, "network", "ls", "--format", "json")).Stdout);
        Assert.Equal(6, list.Length);
        Assert.Equal(6, list.Select(n => n.GetProperty("Subnet").GetString()).Distinct().Count());
        Assert.Equal(6, list.Select(n => n.GetProperty("Vni").GetInt32()).Distinct().Count());
    }

    private static (string?, string?, int, int) Summary(JsonElement n) =>
        (n.GetProperty("Subnet").GetString(), n.GetProperty("Gateway").GetString(), n.GetProperty("Vni").GetInt32(), n.GetProperty("Mtu").GetInt32());

    private static JsonElement[] Json(string text) => [.. JsonDocument.Parse(text).RootElement.EnumerateArray()];
}
