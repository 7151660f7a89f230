using Backbone.Server.Tests.Crash;
using dotnet_etcd;

namespace Backbone.Compat.DotnetEtcd.Tests;

/// <summary>One node process shared by the tests of a class; each test uses its own key prefix.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "bbcompat-" + Guid.NewGuid().ToString("N")[..12]);
    private NodeProcess? node;

    public EtcdClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        node = new NodeProcess(dataDir);
        node.Start();
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        Client = new EtcdClient($"http://{node.Endpoint}");
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (node is not null)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
