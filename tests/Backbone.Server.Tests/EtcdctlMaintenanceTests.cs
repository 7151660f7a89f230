using System.Text.RegularExpressions;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests;

/// <summary>etcdctl 3.4's <c>endpoint hashkv</c> and <c>defrag</c> against one standalone node.</summary>
public sealed partial class EtcdctlMaintenanceTests
{
    /// <summary>etcd's hash of an empty store (the CRC-32C of its bucket name "key").</summary>
    private const uint EmptyStoreHash = 1084519789;

    [Fact]
    public async Task EndpointHashKvPrintsTheHashAndFollowsTheData()
    {
        await using TestNode node = await TestNode.StartAsync();

        Assert.Equal(EmptyStoreHash, await HashAsync(node.Endpoint));

        await Tool.EtcdctlAsync(node.Endpoint, null, "put", "k", "v1");
        uint afterPut = await HashAsync(node.Endpoint);
        Assert.NotEqual(EmptyStoreHash, afterPut);
        Assert.Equal(afterPut, await HashAsync(node.Endpoint)); // nothing changed, same answer

        await Tool.EtcdctlAsync(node.Endpoint, null, "put", "k", "v2");
        Assert.NotEqual(afterPut, await HashAsync(node.Endpoint));
        Assert.Equal(afterPut, await HashAsync(node.Endpoint, "--rev", "2")); // the past stays as it was

        Tool.Result future = await Tool.EtcdctlAsync(node.Endpoint, null, "endpoint", "hashkv", "--rev", "99");
        Assert.NotEqual(0, future.ExitCode);
        Assert.Contains("etcdserver: mvcc: required revision is a future revision", future.All, StringComparison.Ordinal);

        await Tool.EtcdctlAsync(node.Endpoint, null, "compact", "3");
        Tool.Result compacted = await Tool.EtcdctlAsync(node.Endpoint, null, "endpoint", "hashkv", "--rev", "2");
        Assert.NotEqual(0, compacted.ExitCode);
        Assert.Contains("etcdserver: mvcc: required revision has been compacted", compacted.All, StringComparison.Ordinal);

        Tool.Result json = await Tool.EtcdctlAsync(node.Endpoint, null, "endpoint", "hashkv", "-w", "json");
        Assert.Contains("\"compact_revision\":3", json.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"revision\":3", json.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefragSucceedsAndTheDataIsIntactAfterARestart()
    {
        await using TestNode node = await TestNode.StartAsync();
        for (int i = 0; i < 20; i++)
        {
            await Tool.EtcdctlAsync(node.Endpoint, null, "put", $"k{i % 4}", $"v{i}");
        }

        await Tool.EtcdctlAsync(node.Endpoint, null, "compact", "15", "--physical");
        uint before = await HashAsync(node.Endpoint);

        Tool.Result defrag = await Tool.EtcdctlAsync(node.Endpoint, null, "defrag");
        Assert.True(defrag.ExitCode == 0, defrag.All);
        Assert.Equal($"Finished defragmenting etcd member[{node.Endpoint}]\n", defrag.Stdout);

        Assert.Equal(before, await HashAsync(node.Endpoint));
        await node.RestartAsync();
        Assert.Equal(before, await HashAsync(node.Endpoint));
        Tool.Result all = await Tool.EtcdctlAsync(node.Endpoint, null, "get", "k", "--prefix");
        Assert.Equal("k0\nv16\nk1\nv17\nk2\nv18\nk3\nv19\n", all.Stdout);
        Tool.Result old = await Tool.EtcdctlAsync(node.Endpoint, null, "get", "k0", "--rev", "15");
        Assert.Equal("k0\nv12\n", old.Stdout); // the compaction point's view stays readable
    }

    /// <summary>Runs <c>etcdctl endpoint hashkv</c> (simple output: "ENDPOINT, HASH") and returns the hash.</summary>
    private static async Task<uint> HashAsync(string endpoint, params string[] flags)
    {
        Tool.Result result = await Tool.EtcdctlAsync(endpoint, null, ["endpoint", "hashkv", .. flags]);
        Assert.True(result.ExitCode == 0, result.All);
        Match line = HashLine().Match(result.Stdout);
        Assert.True(line.Success, $"unexpected etcdctl output: {result.All}");
        Assert.Equal(endpoint, line.Groups["endpoint"].Value);
        return uint.Parse(line.Groups["hash"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(?<endpoint>\S+), (?<hash>\d+)\n$")]
    private static partial Regex HashLine();
}
