using System.Net;
using Backbone.Control;
using Backbone.Control.Networks;
using Backbone.Control.Services;
using Grpc.Net.Client;

namespace Backbone.DnsBench;

/// <summary>One cleartext gRPC channel to a node's client API and the control-plane stores over it.</summary>
public sealed class StoreConnection : IDisposable
{
    private readonly GrpcChannel channel;

    public StoreConnection(IPEndPoint endpoint)
    {
        channel = GrpcChannel.ForAddress(new Uri($"http://{endpoint}"));
        Kv = new ClientKeyValue(channel.CreateCallInvoker());
        Networks = new NetworkStore(Kv, SubnetPool.Default, TimeProvider.System);
        Services = new ServiceStore(Kv, Networks, TimeProvider.System);
    }

    public IKeyValue Kv { get; }

    public NetworkStore Networks { get; }

    public ServiceStore Services { get; }

    public void Dispose() => channel.Dispose();
}
