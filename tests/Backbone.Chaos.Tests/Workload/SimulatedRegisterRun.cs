using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Workload;

/// <summary>
/// The same workload on one thread with a logical clock: a seeded scheduler picks, at each tick,
/// one client to invoke, apply or complete its op. Ops overlap far more than real threads on two
/// cores manage, and one seed reproduces the whole history, interleaving included.
/// </summary>
internal static class SimulatedRegisterRun
{
    public static KvHistory Run(int seed, int clients, int totalOps, int keys, WorkloadMix? mix = null)
    {
        var random = new Random(seed);
        var store = new AtomicRegisterStore();
        var workload = new WorkloadClient[clients];
        var inFlight = new InFlight?[clients];
        for (int c = 0; c < clients; c++)
        {
            workload[c] = new WorkloadClient(c, keys, new Random(TestSeed.Derive(seed, c)), mix ?? WorkloadMix.Standard);
        }

        var ops = new List<Operation>(totalOps);
        long now = 0;
        int invoked = 0;

        // Ends: each op needs three picks of its client (invoke, apply, complete); once all are
        // invoked, a pick of an idle client does nothing.
        while (ops.Count < totalOps)
        {
            int c = random.Next(clients);
            WorkloadClient client = workload[c];
            if (inFlight[c] is not { } op)
            {
                if (invoked < totalOps)
                {
                    inFlight[c] = new InFlight(invoked++, ++now, client.NextCall(), client.NextFate());
                }
            }
            else if (!op.Applied)
            {
                // The linearization point: strictly after the invoke tick, before the complete tick.
                inFlight[c] = op with { Applied = true, Answer = WorkloadClient.Applies(op.Fate) ? store.Apply(op.Call) : null };
            }
            else
            {
                KvOutcome reported = WorkloadClient.Report(op.Fate, op.Answer);
                ops.Add(new Operation(op.Id, c, op.InvokeTicks, ++now, op.Call, reported));
                client.Observe(op.Call, reported);
                inFlight[c] = null;
            }
        }

        ops.Sort((a, b) => a.Id.CompareTo(b.Id));
        return new KvHistory(ops, ticksPerSecond: 1000);
    }

    private sealed record InFlight(int Id, long InvokeTicks, KvCall Call, Fate Fate)
    {
        public bool Applied { get; init; }

        public KvOutcome? Answer { get; init; }
    }
}
