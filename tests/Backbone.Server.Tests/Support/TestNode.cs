using Backbone.Client;
using Microsoft.AspNetCore.Builder;

namespace Backbone.Server.Tests.Support;

/// <summary>An in-process node on a free loopback port with its own temporary data directory.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private WebApplication? app;

    private TestNode(string dataDir, int port)
    {
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The clock the node runs on (leases, key rotation); null for the system's.</summary>
    public TimeProvider? Time { get; private init; }

    public static async Task<TestNode> StartAsync(string? dataDir = null, TimeProvider? time = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "bbnode-" + Guid.NewGuid().ToString("N")[..12]);
        TestNode node = new(dataDir, FreePort.Next()) { Time = time };
        await node.StartAppAsync().ConfigureAwait(false);
        return node;
    }

    public BackboneClient Client() => new(Endpoint);

    /// <summary>Stops the node cleanly and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync().ConfigureAwait(false);
        await StartAppAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private async Task StartAppAsync()
    {
        app = await NodeServer.StartAsync(new NodeOptions { Name = "test", DataDir = DataDir, ListenClient = Endpoint }, Time).ConfigureAwait(false);
    }

    private async Task StopAppAsync()
    {
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            app = null;
        }
    }
}
