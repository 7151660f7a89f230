using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests;

public sealed class EtcdctlSmokeTests
{
    [Fact]
    public async Task PutGetHealthStatusWithRealEtcdctl()
    {
        await using TestNode node = await TestNode.StartAsync();

        Tool.Result put = await Tool.EtcdctlAsync(node.Endpoint, null, "put", "greeting", "hello");
        Assert.Equal("OK\n", put.Stdout);

        Tool.Result get = await Tool.EtcdctlAsync(node.Endpoint, null, "get", "greeting");
        Assert.Equal("greeting\nhello\n", get.Stdout);

        Tool.Result health = await Tool.EtcdctlAsync(node.Endpoint, null, "endpoint", "health");
        Assert.Equal(0, health.ExitCode);
        Assert.Contains("is healthy", health.All, StringComparison.Ordinal);

        Tool.Result status = await Tool.EtcdctlAsync(node.Endpoint, null, "endpoint", "status", "-w", "json");
        Assert.Contains("\"revision\":2", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"leader\":", status.Stdout, StringComparison.Ordinal);
    }
}
