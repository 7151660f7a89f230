using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Cli;

/// <summary>The `./backbone kv` verbs, as an operator types them, against a running node.</summary>
public sealed class CliTests
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task PutGetDelWithPrefixAndPrevKv()
    {
        await using TestNode node = await TestNode.StartAsync();
        Assert.Equal("OK\n", (await Backbone(node.Endpoint, "kv", "put", "/cfg/a", "1")).Stdout);
        Assert.Equal("OK\n", (await Backbone(node.Endpoint, "kv", "put", "/cfg/b", "2")).Stdout);
        Assert.Equal("OK\n/cfg/a\n1\n", (await Backbone(node.Endpoint, "kv", "put", "/cfg/a", "3", "--prev-kv")).Stdout);

        Assert.Equal("/cfg/a\n3\n/cfg/b\n2\n", (await Backbone(node.Endpoint, "kv", "get", "/cfg", "--prefix")).Stdout);
        Assert.Equal("/cfg/a\n/cfg/b\n", (await Backbone(node.Endpoint, "kv", "get", "/cfg", "--prefix", "--keys-only")).Stdout);
        Assert.Equal("2\n", (await Backbone(node.Endpoint, "kv", "get", "/cfg", "--prefix", "--count-only")).Stdout);
        Assert.Equal("1\n", (await Backbone(node.Endpoint, "kv", "get", "/cfg/a", "--rev", "2", "--print-value-only")).Stdout);

        Assert.Equal("2\n", (await Backbone(node.Endpoint, "kv", "del", "/cfg", "--prefix")).Stdout);
        Assert.Equal("", (await Backbone(node.Endpoint, "kv", "get", "/cfg", "--prefix")).Stdout);
    }

    [Fact]
    public async Task WatchPrintsHistoryFromARevision()
    {
        await using TestNode node = await TestNode.StartAsync();
        await Backbone(node.Endpoint, "kv", "put", "w/x", "one");
        await Backbone(node.Endpoint, "kv", "del", "w/x");

        // watch runs until Ctrl-C: a short deadline ends it once history has been printed.
        Tool.Result watch = await Tool.RunAsync(
            "timeout", ["10", NodeProcess.Script(), "--endpoints", node.Endpoint, "kv", "watch", "w/", "--prefix", "--rev", "1"],
            timeout: TimeSpan.FromSeconds(120));
        Assert.StartsWith("PUT\nw/x\none\nDELETE\nw/x\n\n", watch.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeaseGrantAttachTimeToLiveRevoke()
    {
        await using TestNode node = await TestNode.StartAsync();
        Tool.Result grant = await Backbone(node.Endpoint, "kv", "lease", "grant", "60");
        Assert.Matches("^lease [0-9a-f]{16} granted with TTL\\(60s\\)\n$", grant.Stdout);
        string id = grant.Stdout.Split(' ')[1];

        Assert.Equal("OK\n", (await Backbone(node.Endpoint, "kv", "put", "eph", "v", "--lease", id)).Stdout);
        Assert.Matches($"^lease {id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[eph\\]\\)\n$",
            (await Backbone(node.Endpoint, "kv", "lease", "timetolive", id, "--keys")).Stdout);
        Assert.Equal($"found 1 leases\n{id}\n", (await Backbone(node.Endpoint, "kv", "lease", "list")).Stdout);
        Assert.Matches($"^lease {id} keepalived with TTL\\(60\\)\n$", (await Backbone(node.Endpoint, "kv", "lease", "keep-alive", id, "--once")).Stdout);

        Assert.Equal($"lease {id} revoked\n", (await Backbone(node.Endpoint, "kv", "lease", "revoke", id)).Stdout);
        Assert.Equal("", (await Backbone(node.Endpoint, "kv", "get", "eph")).Stdout);
    }

    [Fact]
    public async Task CompactThenOldRevisionReadFailsWithEtcdsMessage()
    {
        await using TestNode node = await TestNode.StartAsync();
        await Backbone(node.Endpoint, "kv", "put", "c", "1");
        await Backbone(node.Endpoint, "kv", "put", "c", "2");
        Assert.Equal("compacted revision 3\n", (await Backbone(node.Endpoint, "kv", "compact", "3", "--physical")).Stdout);

        Tool.Result old = await Backbone(node.Endpoint, "kv", "get", "c", "--rev", "2");
        Assert.Equal(1, old.ExitCode);
        Assert.Equal("Error: etcdserver: mvcc: required revision has been compacted\n", old.Stderr);
    }

    [Fact]
    public async Task EndpointsComeFromTheEnvironmentAndFailOverToTheNextOne()
    {
        await using TestNode node = await TestNode.StartAsync();
        int dead = FreePort.Next(); // nobody listens here: the client must move on to the live node
        Dictionary<string, string> env = new() { ["BACKBONE_ENDPOINTS"] = $"127.0.0.1:{dead},{node.Endpoint}" };

        Tool.Result put = await Tool.RunAsync(NodeProcess.Script(), ["kv", "put", "via-env", "yes"], env: env, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal("OK\n", put.Stdout);
        Tool.Result get = await Tool.RunAsync(NodeProcess.Script(), ["kv", "get", "via-env"], env: env, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal("via-env\nyes\n", get.Stdout);

        // --endpoints wins over the environment.
        Tool.Result flag = await Tool.RunAsync(NodeProcess.Script(), ["--endpoints", $"127.0.0.1:{dead}", "kv", "get", "via-env"], env: env, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(1, flag.ExitCode);
        Assert.Contains($"cannot reach 127.0.0.1:{dead}", flag.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorsAreOneClearLineWithAFix()
    {
        int unused = FreePort.Next();
        Tool.Result down = await Backbone($"127.0.0.1:{unused}", "kv", "get", "x");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains($"cannot reach 127.0.0.1:{unused}", down.Stderr, StringComparison.Ordinal);
        Assert.Contains("./backbone node", down.Stderr, StringComparison.Ordinal);

        Tool.Result badEndpoint = await Backbone("not an endpoint", "kv", "get", "x");
        Assert.Equal(2, badEndpoint.ExitCode);
        Assert.Contains("HOST:PORT", badEndpoint.Stderr, StringComparison.Ordinal);

        Tool.Result missingArg = await Tool.RunAsync(NodeProcess.Script(), ["kv", "put", "onlykey"], timeout: TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, missingArg.ExitCode);
        Assert.Contains("value", missingArg.All, StringComparison.Ordinal);

        Tool.Result badLease = await Backbone("127.0.0.1:1", "kv", "put", "k", "v", "--lease", "xyz");
        Assert.Equal(2, badLease.ExitCode);
        Assert.Contains("not a lease id", badLease.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryCommandHasHelp()
    {
        string[][] commands =
        [
            [], ["node"], ["kv"], ["kv", "put"], ["kv", "get"], ["kv", "del"], ["kv", "watch"], ["kv", "compact"],
            ["kv", "lease"], ["kv", "lease", "grant"], ["kv", "lease", "revoke"], ["kv", "lease", "timetolive"],
            ["kv", "lease", "list"], ["kv", "lease", "keep-alive"],
        ];
        foreach (string[] command in commands)
        {
            Tool.Result help = await Tool.RunAsync(NodeProcess.Script(), [.. command, "--help"], timeout: TimeSpan.FromSeconds(120));
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
        }
    }
}
