namespace Backbone.Server.Tests.Compat;

/// <summary>Class fixture of <see cref="DifferentialTests"/>: one fresh server pair per test case, started ahead.</summary>
public sealed class DifferentialServers : IAsyncLifetime
{
    /// <summary>One pair per script, plus the gRPC-only case.</summary>
    public ServerPairPool Pool { get; } = new(DifferentialScenarios.All.Count + 1);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Pool.DisposeAsync().ConfigureAwait(false);
}
