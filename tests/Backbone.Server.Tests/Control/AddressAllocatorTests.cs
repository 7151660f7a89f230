using Backbone.Control;
using Backbone.Control.Ipam;
using Backbone.Control.Networks;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Support;
using Grpc.Net.Client;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// IPAM over the real store: allocators with their own connections (and, in a cluster, on
/// different members) allocating at once never hand out an address twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AddressAllocatorTests
{
    [Fact]
    public async Task ConcurrentAllocatorsNeverShareAnAddress()
    {
        await using TestNode node = await TestNode.StartAsync();
        using GrpcChannel one = GrpcChannel.ForAddress($"http://{node.Endpoint}");
        using GrpcChannel two = GrpcChannel.ForAddress($"http://{node.Endpoint}");
        NetworkRecord network = await new NetworkStore(new ClientKeyValue(one.CreateCallInvoker()), SubnetPool.Default, TimeProvider.System)
            .CreateAsync(new NetworkSpec { Name = "ipam", Subnet = "10.7.0.0/25" }, CancellationToken.None);
        var first = new AddressAllocator(new ClientKeyValue(one.CreateCallInvoker()));
        var second = new AddressAllocator(new ClientKeyValue(two.CreateCallInvoker()));

        string[][] handed = await Task.WhenAll(
            AllocateManyAsync(first, network, "a", 60),
            AllocateManyAsync(second, network, "b", 60));
        string[] all = [.. handed.SelectMany(h => h)];
        Assert.Equal(120, all.Distinct().Count());
        Assert.DoesNotContain("10.7.0.0", all);
        Assert.DoesNotContain("10.7.0.1", all); // the gateway
        Assert.DoesNotContain("10.7.0.127", all);
        Assert.Equal(120, (await first.ListAsync(network, CancellationToken.None)).Count);

        // The rest of the /25 (125 host addresses besides the gateway), then a clear refusal.
        await AllocateManyAsync(first, network, "c", 5);
        ControlException full = await Assert.ThrowsAsync<ControlException>(() => first.AllocateAsync(network, "d", CancellationToken.None));
        Assert.Contains("network \"ipam\" has no free address: all 125 of 10.7.0.0/25 are allocated", full.Message, StringComparison.Ordinal);

        // Release: only by its owner; the freed address is the next one handed out.
        IReadOnlyDictionary<string, string> owners = await first.ListAsync(network, CancellationToken.None);
        string someone = owners.First(o => o.Value == "b-7").Key;
        Assert.False(await first.ReleaseAsync(network, someone, "a-0", CancellationToken.None));
        Assert.True(await first.ReleaseAsync(network, someone, "b-7", CancellationToken.None));
        Assert.Equal(someone, await second.AllocateAsync(network, "e", CancellationToken.None));

        // A network that is gone gets no more allocations, and one in use is not removed.
        ControlException inUse = await Assert.ThrowsAsync<ControlException>(() =>
            new NetworkStore(new ClientKeyValue(one.CreateCallInvoker()), SubnetPool.Default, TimeProvider.System).RemoveAsync("ipam", CancellationToken.None));
        Assert.Equal(ControlError.FailedPrecondition, inUse.Error);
    }

    [Fact]
    public async Task AllocatorsOnDifferentManagersNeverShareAnAddress()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbipam");
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        GrpcChannel[] channels = [.. Enumerable.Range(0, 3).Select(i => GrpcChannel.ForAddress($"http://{cluster[i].ClientEndpoint}"))];
        try
        {
            NetworkRecord network = await new NetworkStore(new ClientKeyValue(channels[0].CreateCallInvoker()), SubnetPool.Default, TimeProvider.System)
                .CreateAsync(new NetworkSpec { Name = "spread" }, CancellationToken.None);

            string[][] handed = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
                AllocateManyAsync(new AddressAllocator(new ClientKeyValue(channels[i].CreateCallInvoker())), network, $"m{i}", 25)));
            Assert.Equal(75, handed.SelectMany(h => h).Distinct().Count());
            Assert.All(handed.SelectMany(h => h), ip => Assert.StartsWith("10.0.0.", ip, StringComparison.Ordinal));
        }
        finally
        {
            foreach (GrpcChannel channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<string[]> AllocateManyAsync(AddressAllocator allocator, NetworkRecord network, string owner, int count)
    {
        var addresses = new string[count];
        for (int i = 0; i < count; i++)
        {
            addresses[i] = await allocator.AllocateAsync(network, $"{owner}-{i}", CancellationToken.None);
        }

        return addresses;
    }
}
