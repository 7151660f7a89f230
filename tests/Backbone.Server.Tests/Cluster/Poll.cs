using System.Diagnostics;

namespace Backbone.Server.Tests.Cluster;

/// <summary>Waiting for a condition with a deadline instead of sleeping (STYLE habit 14).</summary>
public static class Poll
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; then
    /// throws a <see cref="TimeoutException"/> with <paramref name="describe"/>'s account of the
    /// last state. Exceptions from the condition count as "not yet" (a member restarting).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or TimeoutException)
            {
                last = e;
            }

            if (elapsed.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached in {timeout.TotalSeconds:0.#} s: {describe()}"
                    + (last is null ? "" : $"\nlast error: {last.GetType().Name}: {last.Message}"));
            }

            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }
}
