using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.BadInput;

/// <summary>
/// Class fixture of <see cref="BadInputTests"/>: one Backbone node and one real etcd, shared by
/// the class (each test uses its own keys), so every expectation is checked against etcd too.
/// </summary>
public sealed class BadInputServers : IAsyncLifetime
{
    public const string Backbone = "backbone";
    public const string Etcd = "etcd";

    private TestNode? node;
    private RealEtcd? etcd;

    public string Endpoint(string target) => target switch
    {
        Backbone => node!.Endpoint,
        Etcd => etcd!.Endpoint,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "backbone or etcd"),
    };

    public async Task InitializeAsync()
    {
        Task<TestNode> startingNode = TestNode.StartAsync();
        Task<RealEtcd> startingEtcd = RealEtcd.StartAsync();
        try
        {
            node = await startingNode.ConfigureAwait(false);
        }
        finally
        {
            // Keep whatever started so DisposeAsync stops it even if the other failed.
            etcd = await startingEtcd.ConfigureAwait(false);
        }
    }

    public async Task DisposeAsync()
    {
        if (node is not null)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        if (etcd is not null)
        {
            await etcd.DisposeAsync().ConfigureAwait(false);
        }
    }
}
