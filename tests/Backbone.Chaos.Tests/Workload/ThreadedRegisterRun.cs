using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Workload;

/// <summary>
/// Real threads against an <see cref="AtomicRegisterStore"/>, recorded with a
/// <see cref="HistoryRecorder"/> exactly as a client of the real store would: invoke, (maybe)
/// apply under the store's lock, complete. The seed fixes every call and fate; the OS fixes the
/// interleaving, so a replay repeats the workload, not the schedule.
/// </summary>
internal static class ThreadedRegisterRun
{
    // Client c draws calls from stream c and pauses from stream JitterStreams + c.
    private const int JitterStreams = 1000;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    public static KvHistory Run(int seed, int clients, int opsPerClient, int keys, WorkloadMix? mix = null)
    {
        var store = new AtomicRegisterStore();
        var recorder = new HistoryRecorder();
        using var start = new Barrier(clients);
        var threads = new Thread[clients];
        Exception? failure = null;
        for (int c = 0; c < clients; c++)
        {
            var client = new WorkloadClient(c, keys, new Random(TestSeed.Derive(seed, c)), mix ?? WorkloadMix.Standard);
            var jitter = new Random(TestSeed.Derive(seed, JitterStreams + c));
            threads[c] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    for (int i = 0; i < opsPerClient; i++)
                    {
                        RunOne(client, jitter, store, recorder);
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            { IsBackground = true, Name = $"client {c}" };
            threads[c].Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(JoinTimeout), $"{thread.Name} did not finish within {JoinTimeout}");
        }

        Assert.Null(failure);
        return recorder.ToHistory();
    }

    private static void RunOne(WorkloadClient client, Random jitter, AtomicRegisterStore store, HistoryRecorder recorder)
    {
        KvCall call = client.NextCall();
        Fate fate = client.NextFate();
        OperationHandle handle = recorder.Invoke(client.Id, call);

        // Yield now and then on either side of the apply, so that ops overlap and other clients
        // get in between the invoke, the effect and the completion.
        Pause(jitter);
        KvOutcome? answer = WorkloadClient.Applies(fate) ? store.Apply(call) : null;
        Pause(jitter);

        KvOutcome reported = WorkloadClient.Report(fate, answer);
        recorder.Complete(handle, reported);
        client.Observe(call, reported);
    }

    private static void Pause(Random jitter)
    {
        if (jitter.Next(4) == 0)
        {
            Thread.Yield();
        }
        else
        {
            Thread.SpinWait(jitter.Next(50));
        }
    }
}
