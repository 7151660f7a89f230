namespace Backbone.Dns.Tests.Server;

/// <summary>Waiting for something to become true without sleeping a fixed time: poll it, up to a deadline only a stall reaches.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(DnsClient.Patience);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"not true within {DnsClient.Patience}: {what}");
            }

            await Task.Delay(5);
        }
    }
}
