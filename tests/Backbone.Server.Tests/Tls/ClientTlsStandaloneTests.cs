using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Backbone.Server.Tls;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Tls;

/// <summary>
/// A standalone <c>backbone node</c> process serving its client port over TLS, driven by the real
/// etcdctl 3.4 and the real <c>backbone</c> CLI: with <c>--client-cert/--client-key</c> alone
/// (clients check the server with --cacert), and with <c>--client-ca</c> too (clients must
/// present a certificate that CA signed).
/// </summary>
public sealed class ClientTlsStandaloneTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(20);

    private readonly TestCertificates certs = TestCertificates.Create();
    private readonly string root = Path.Combine(Path.GetTempPath(), "bbtlsnode-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task EtcdctlAndTheCliWorkOverTlsAndARestartWithoutTlsFlagsStillServesTls()
    {
        await using ClusterMember node = new("tls", Path.Combine(root, "tls")) { ClientTls = true };
        await node.StartAsync(["--name", "tls", "--data-dir", node.DataDir, "--listen-client", node.ClientEndpoint, .. certs.NodeFlags(requireClientCertificates: false)]);
        Assert.Contains($"serving the etcd v3 API on {node.ClientUrl}", node.Output, StringComparison.Ordinal);

        // etcdctl 3.4 against https://, checking the server's certificate with --cacert.
        Assert.Equal("OK\n", (await EtcdctlAsync(node, "put", "greeting", "hello")).Stdout);
        Assert.Equal("greeting\nhello\n", (await EtcdctlAsync(node, "get", "greeting")).Stdout);
        await AssertWatchSeesAPutAsync(node);

        // The backbone CLI: a HOST:PORT endpoint with --cacert is https, as with etcdctl.
        Tool.Result put = await BackboneAsync(node.ClientEndpoint, [.. certs.ClientFlags(withClientCertificate: false), "kv", "put", "/cli/key", "over tls"]);
        Assert.True(put.ExitCode == 0, put.All);
        Tool.Result get = await BackboneAsync(node.ClientUrl, [.. certs.ClientFlags(withClientCertificate: false), "kv", "get", "/cli/key"]);
        Assert.Equal("/cli/key\nover tls\n", get.Stdout);

        // Without --cacert the server's certificate is not trusted: the error says what to pass.
        Tool.Result untrusted = await BackboneAsync(node.ClientUrl, ["kv", "get", "/cli/key"]);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("does not trust", untrusted.Stderr, StringComparison.Ordinal);
        Assert.Contains("--cacert", untrusted.Stderr, StringComparison.Ordinal);

        // Cleartext against a TLS port: the error says to use https://.
        Tool.Result cleartext = await BackboneAsync($"http://{node.ClientEndpoint}", ["kv", "get", "/cli/key"]);
        Assert.Equal(1, cleartext.ExitCode);
        Assert.Contains("https://", cleartext.Stderr, StringComparison.Ordinal);

        // The TLS settings are kept in the data directory, with absolute paths: a restart without
        // any TLS flag serves TLS again. (A standalone node keeps no --listen-client, so it is given.)
        Assert.True(File.Exists(ClientTlsSettings.PathIn(node.DataDir)), "client-tls.json should be kept in the data directory");
        node.Kill();
        await node.StartAsync(["--data-dir", node.DataDir, "--listen-client", node.ClientEndpoint]);
        Assert.Equal("greeting\nhello again\n", (await EtcdctlAsync(node, "get", "greeting")).Stdout);
        Tool.Result afterRestart = await BackboneAsync(node.ClientEndpoint, [.. certs.ClientFlags(withClientCertificate: false), "kv", "get", "/cli/key"]);
        Assert.Equal("/cli/key\nover tls\n", afterRestart.Stdout);
    }

    [Fact]
    public async Task WithClientCaOnlyClientsPresentingACertificateOfThatCaAreServed()
    {
        await using ClusterMember node = new("mtls", Path.Combine(root, "mtls")) { ClientTls = true };
        await node.StartAsync(["--name", "mtls", "--data-dir", node.DataDir, "--listen-client", node.ClientEndpoint, .. certs.NodeFlags()]);

        // No client certificate: refused, with a message that says what to pass.
        Tool.Result anonymous = await Tool.EtcdctlAsync(node.ClientUrl, null, ["--cacert", certs.CaFile, "put", "k", "v"]);
        output.WriteLine(anonymous.All);
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("requires a client certificate", anonymous.All, StringComparison.Ordinal);

        // A certificate of another CA: the handshake itself fails.
        Tool.Result stranger = await Tool.EtcdctlAsync(node.ClientUrl, null,
            ["--cacert", certs.CaFile, "--cert", certs.StrangerCertFile, "--key", certs.StrangerKeyFile, "--command-timeout=3s", "--dial-timeout=2s", "put", "k", "v"]);
        output.WriteLine(stranger.All);
        Assert.NotEqual(0, stranger.ExitCode);

        // A certificate of the --client-ca: served.
        Assert.Equal("OK\n", (await EtcdctlAsync(node, "put", "k", "v")).Stdout);
        Assert.Equal("k\nv\n", (await EtcdctlAsync(node, "get", "k")).Stdout);

        // The backbone CLI alike, with --cert/--key; without them the message names the flags.
        Tool.Result get = await BackboneAsync(node.ClientUrl, [.. certs.ClientFlags(), "kv", "get", "k"]);
        Assert.Equal("k\nv\n", get.Stdout);
        Tool.Result refused = await BackboneAsync(node.ClientUrl, [.. certs.ClientFlags(withClientCertificate: false), "kv", "get", "k"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--cert FILE --key FILE", refused.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        certs.Dispose();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // best effort (or never started)
        }
    }

    /// <summary>etcdctl watch over TLS, from revision 1: the history first, then a put made while it runs.</summary>
    private async Task AssertWatchSeesAPutAsync(ClusterMember node)
    {
        using StreamingProcess watch = new(Tool.Require("etcdctl", "etcd-client"),
            ["--endpoints", node.ClientUrl, .. certs.ClientFlags(), "watch", "greeting", "--rev", "1"],
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Task<StreamingProcess.Ending> ending = watch.RunUntilAsync(seen => seen.Contains("hello again", StringComparison.Ordinal), WatchTimeout);
        await Poll.UntilAsync(() => Task.FromResult(watch.Stdout.Contains("PUT\ngreeting\nhello\n", StringComparison.Ordinal) || ending.IsCompleted), WatchTimeout,
            () => $"etcdctl watch printed: {watch.Stdout}{watch.Stderr}");
        Assert.Equal("OK\n", (await EtcdctlAsync(node, "put", "greeting", "hello again")).Stdout);
        Assert.Equal(StreamingProcess.Ending.ConditionMet, await ending);
        Assert.Equal("PUT\ngreeting\nhello\nPUT\ngreeting\nhello again\n", watch.Stdout);
    }

    /// <summary>etcdctl with the CA and the client certificate (a node without --client-ca does not ask for it).</summary>
    private Task<Tool.Result> EtcdctlAsync(ClusterMember node, params string[] args) =>
        Tool.EtcdctlAsync(node.ClientUrl, null, [.. certs.ClientFlags(), .. args]);

    private async Task<Tool.Result> BackboneAsync(string endpoints, string[] args)
    {
        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoints, .. args], timeout: TimeSpan.FromSeconds(180));
        output.WriteLine($"$ backbone --endpoints {endpoints} {string.Join(' ', args)}   (exit {result.ExitCode})\n{result.All}");
        return result;
    }
}
