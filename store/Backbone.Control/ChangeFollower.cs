namespace Backbone.Control;

/// <summary>
/// Follows an <see cref="IChangeFeed"/> for as long as its caller runs: the loop the scheduler and
/// the agent share. A watch starts at the store's current revision, so changes made while none
/// was open (before the first, or between a failed one and its replacement) are only known by
/// the watch opening: <c>changed</c> is called with null then, and with each change's revision
/// afterwards. A failed watch is reported and followed again after a second.
/// </summary>
public static class ChangeFollower
{
    public static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    public static async Task FollowAsync(IChangeFeed feed, string prefix, Action<long?> changed, Action<Exception> failed, TimeProvider time, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(failed);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                IAsyncEnumerator<long> changes = feed.ChangesAsync(prefix, stopping).GetAsyncEnumerator(stopping);
                await using (changes.ConfigureAwait(false))
                {
                    ValueTask<bool> next = changes.MoveNextAsync(); // opens the watch (a local feed before it first waits)
                    changed(null);
                    while (await next.ConfigureAwait(false))
                    {
                        changed(changes.Current);
                        next = changes.MoveNextAsync();
                    }
                }
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return; // stopping: a remote feed ends with its call's Cancelled status, not only OperationCanceledException
            }
            catch (Exception e)
            {
                failed(e);
            }

            try
            {
                await Task.Delay(Retry, time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
