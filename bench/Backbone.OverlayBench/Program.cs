using Backbone.Control;
using Backbone.Control.Networks;
using Backbone.OverlayBench;
using Grpc.Net.Client;

// Entry point: the convergence samples of bench/overlay/run.sh (ConvergenceOptions.Usage). Progress
// and errors go to stderr, one line per sample to --out; run.sh computes the percentiles.
ConvergenceOptions options;
try
{
    options = ConvergenceOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"overlaybench: {e.Message}");
    Console.Error.WriteLine(ConvergenceOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

GrpcChannel[] members = [.. options.Watch.Select(e => GrpcChannel.ForAddress(new Uri($"http://{e}")))];
using GrpcChannel creator = GrpcChannel.ForAddress(new Uri($"http://{options.Create}"));
try
{
    var networks = new NetworkStore(new ClientKeyValue(creator.CreateCallInvoker()), SubnetPool.Default, TimeProvider.System);
    string networkId = (await networks.FindAsync(options.Network, cancel.Token)).Id;
    await using StoreWatch watch = await StoreWatch.StartAsync(members, "/bb/", cancel.Token);
    var probe = new ConvergenceProbe(options, networkId, creator, watch);
    await using var samples = new StreamWriter(options.Out);
    await samples.WriteLineAsync(ConvergenceSample.Header);
    for (int i = 0; i < options.Samples; i++)
    {
        ConvergenceSample sample = await probe.SampleAsync(i, cancel.Token);
        await samples.WriteLineAsync(sample.ToString());
        await samples.FlushAsync(cancel.Token);
        Console.Error.WriteLine($"overlaybench: sample {i + 1}/{options.Samples}: convergence {sample.ConvergenceMs:0.0} ms (registered {sample.RegisteredMs:0.0} ms after the request)");
    }

    return 0;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or Grpc.Core.RpcException or IOException or ControlException or Backbone.Overlay.Netlink.NetlinkException)
{
    Console.Error.WriteLine($"overlaybench: {e.GetType().Name}: {e.Message}");
    return 1;
}
finally
{
    foreach (GrpcChannel member in members)
    {
        member.Dispose();
    }
}
