using Backbone.Chaos.History;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Chaos.Tests.History;

public sealed class HistoryRecorderTests
{
    [Fact]
    public void RecordsInvokeAndCompleteTimesFromTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var recorder = new HistoryRecorder(time);

        OperationHandle put = recorder.Invoke(clientId: 1, KvCall.Put("k", "a"));
        time.Advance(TimeSpan.FromMilliseconds(3));
        recorder.Complete(put, KvOutcome.Written);

        Operation op = Assert.Single(recorder.ToHistory().Operations);
        Assert.Equal(1, op.ClientId);
        Assert.Equal(TimeSpan.FromMilliseconds(3).Ticks, op.CompleteTicks - op.InvokeTicks);
        Assert.Equal(KvOutcome.Written, op.Outcome);
        Assert.Equal(3.0, recorder.ToHistory().ToMs(op.CompleteTicks), precision: 6);
    }

    [Fact]
    public void UnknownOutcomeAndNeverCompletedOperationsEndAtInfinity()
    {
        var recorder = new HistoryRecorder(new FakeTimeProvider());
        recorder.Complete(recorder.Invoke(1, KvCall.Put("k", "a")), KvOutcome.Unknown);
        recorder.Invoke(2, KvCall.Put("k", "b"));

        KvHistory history = recorder.ToHistory();

        Assert.All(history.Operations, op => Assert.Equal(Operation.Never, op.CompleteTicks));
        Assert.All(history.Operations, op => Assert.Equal(OutcomeKind.Unknown, op.Outcome.Kind));
    }

    [Fact]
    public void CompletingTwiceThrows()
    {
        var recorder = new HistoryRecorder();
        OperationHandle get = recorder.Invoke(1, KvCall.Get("k"));
        recorder.Complete(get, KvOutcome.Read(null));

        Assert.Throws<InvalidOperationException>(() => recorder.Complete(get, KvOutcome.Read(null)));
    }

    [Fact]
    public void MismatchedOutcomeThrowsAtTheCallSite()
    {
        var recorder = new HistoryRecorder();
        OperationHandle get = recorder.Invoke(1, KvCall.Get("k"));

        Assert.Throws<ArgumentException>(() => recorder.Complete(get, KvOutcome.Written));
    }

    [Fact]
    public void InvokesBeyondTheBoundThrow()
    {
        var recorder = new HistoryRecorder(maxOperations: 2);
        recorder.Invoke(1, KvCall.Get("k"));
        recorder.Invoke(1, KvCall.Get("k"));

        Assert.Throws<InvalidOperationException>(() => recorder.Invoke(1, KvCall.Get("k")));
    }

    [Fact]
    public void ConcurrentClientsLoseNoOperationAndTimesNeverRunBackwards()
    {
        const int Clients = 8;
        const int OpsPerClient = 500;
        var recorder = new HistoryRecorder();

        Parallel.For(0, Clients, new ParallelOptions { MaxDegreeOfParallelism = Clients }, client =>
        {
            for (int i = 0; i < OpsPerClient; i++)
            {
                OperationHandle handle = recorder.Invoke(client, KvCall.Put("k", $"{client}-{i}"));
                recorder.Complete(handle, KvOutcome.Written);
            }
        });

        IReadOnlyList<Operation> ops = recorder.ToHistory().Operations;
        Assert.Equal(Clients * OpsPerClient, ops.Count);
        Assert.Equal(Enumerable.Range(0, ops.Count), ops.Select(o => o.Id));
        Assert.All(ops, o => Assert.True(o.InvokeTicks <= o.CompleteTicks));
        Assert.All(ops.Zip(ops.Skip(1)), pair => Assert.True(pair.First.InvokeTicks <= pair.Second.InvokeTicks));
        foreach (IGrouping<int, Operation> client in ops.GroupBy(o => o.ClientId))
        {
            Assert.Equal(OpsPerClient, client.Count());
            Assert.All(client.Zip(client.Skip(1)), pair => Assert.True(pair.First.CompleteTicks <= pair.Second.InvokeTicks));
        }
    }
}
