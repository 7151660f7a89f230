namespace Backbone.Server;

/// <summary>
/// Asks <see cref="NodeServer.RunAsync"/> to stop this node and start it again, in the same
/// process, from its data directory: after a role change (a worker promoted, a manager demoted)
/// the next start finds the new role in <c>cluster.json</c>.
/// </summary>
public sealed class NodeRestart
{
    private readonly TaskCompletionSource<string> requested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the reason once a restart is asked for.</summary>
    public Task<string> Requested => requested.Task;

    public void Request(string reason) => requested.TrySetResult(reason);
}
