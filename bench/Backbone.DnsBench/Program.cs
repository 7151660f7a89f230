using Backbone.DnsBench;

// Entry point: `seed` fills a node's store with the benchmark's names and writes the same data
// for the other servers; `freshness` times store writes until another node's DNS answers them.
// Progress and errors go to stderr; freshness prints one RESULT line on stdout.
DnsBenchOptions options;
try
{
    options = DnsBenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"dnsbench: {e.Message}");
    Console.Error.WriteLine(DnsBenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    using var store = new StoreConnection(options.Endpoint);
    if (options.Mode == DnsBenchMode.Seed)
    {
        await Seeder.RunAsync(store, options, cancel.Token);
    }
    else
    {
        FreshnessResult result = await FreshnessProbe.RunAsync(store, options, cancel.Token);
        Console.WriteLine(result.ToString());
    }

    return 0;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or Grpc.Core.RpcException or IOException or Backbone.Control.ControlException)
{
    Console.Error.WriteLine($"dnsbench: {e.GetType().Name}: {e.Message}");
    return 1;
}
