namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Polls with a deadline instead of sleeping: the kernel tears namespaces down asynchronously.</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {timeoutMs} ms: {what}");
            }

            Thread.Sleep(20);
        }
    }
}
