namespace Backbone.Dns.Tests.Server;

/// <summary>A fresh listener per test on loopback (<see cref="ListenerHarness"/>), which must have logged nothing by the end.</summary>
public abstract class ListenerTests : IAsyncLifetime
{
    protected ListenerHarness Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Server = ListenerHarness.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(Server.Notes);
        await Server.DisposeAsync();
    }
}
