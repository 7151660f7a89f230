using System.Runtime.ExceptionServices;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Runs a function on a brand-new thread and waits for it. For work that changes the calling
/// thread's own kernel state (unshare, setns): that state stays with the thread, so the thread
/// must never go back to a pool or run anything else. It simply ends when the function returns.
/// </summary>
internal static class DedicatedThread
{
    /// <summary>Blocks the caller until <paramref name="action"/> ends; its exception is rethrown here with its original stack.</summary>
    public static T Run<T>(string threadName, Func<T> action)
    {
        T? result = default;
        ExceptionDispatchInfo? failure = null;
        Thread thread = new(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = threadName,
        };

        thread.Start();
        thread.Join();
        failure?.Throw();
        return result!;
    }
}
