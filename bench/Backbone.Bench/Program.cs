using Backbone.Bench;

// Entry point: `report B E` prints the side-by-side markdown; anything else is one benchmark run
// that prints one RESULT line on stdout (progress and errors go to stderr).
if (args.Length == 3 && args[0] == "report")
{
    Console.Write(ReportWriter.Write(args[1], args[2]));
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

Console.Error.WriteLine($"bench: {BenchOptions.OpName(options.Op)} against {string.Join(",", options.Endpoints)}, seed {options.Seed}");
try
{
    ResultLine result = options.Op switch
    {
        BenchOp.Watch => await WatchLoad.RunAsync(options, cancel.Token),
        BenchOp.Failover => await FailoverLoad.RunAsync(options, cancel.Token),
        _ => await KvLoad.RunAsync(options, cancel.Token),
    };
    Console.WriteLine(result.ToString());
    return 0;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or Grpc.Core.RpcException or IOException)
{
    // No RESULT line: bench/run.sh reports the point as failed and goes on.
    Console.Error.WriteLine($"bench: {e.GetType().Name}: {e.Message}");
    return 1;
}
