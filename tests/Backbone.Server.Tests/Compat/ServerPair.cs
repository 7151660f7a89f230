using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Compat;

/// <summary>A fresh real etcd and a fresh Backbone node, started together, for one differential scenario.</summary>
public sealed class ServerPair : IAsyncDisposable
{
    private ServerPair(RealEtcd etcd, TestNode backbone)
    {
        Etcd = etcd;
        Backbone = backbone;
    }

    public RealEtcd Etcd { get; }

    public TestNode Backbone { get; }

    public static async Task<ServerPair> StartAsync()
    {
        Task<RealEtcd> etcd = RealEtcd.StartAsync();
        Task<TestNode> backbone = TestNode.StartAsync();
        try
        {
            await Task.WhenAll(etcd, backbone).ConfigureAwait(false);
        }
        catch
        {
            // Stop whichever did start before reporting the failure.
            if (etcd.IsCompletedSuccessfully)
            {
                await etcd.Result.DisposeAsync().ConfigureAwait(false);
            }

            if (backbone.IsCompletedSuccessfully)
            {
                await backbone.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new ServerPair(await etcd.ConfigureAwait(false), await backbone.ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        await Etcd.DisposeAsync().ConfigureAwait(false);
        await Backbone.DisposeAsync().ConfigureAwait(false);
    }
}
