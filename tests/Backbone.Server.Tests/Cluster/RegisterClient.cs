using Backbone.Chaos.History;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// One client of the linearizability test: random gets, puts and compare-and-sets on a few keys,
/// each sent to a random member, every one recorded in the shared <see cref="HistoryRecorder"/>.
/// </summary>
/// <remarks>
/// How outcomes are recorded: an answered call is Ok (a CAS answered "not swapped" too); any error
/// (deadline, Unavailable from a dead member, anything else) leaves a write's effect unknown, so it
/// is Unknown, and a failed get tells nothing, so it is Unknown too (the checker drops it).
/// </remarks>
public sealed class RegisterClient(TestCluster cluster, HistoryRecorder recorder, int clientId, IReadOnlyList<string> keys, Random random)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The last value this client saw per key: a CAS expects it, so some CAS succeed.</summary>
    private readonly Dictionary<string, string?> lastSeen = [];
    private int sequence;

    /// <summary>Runs until <paramref name="stop"/> is cancelled; returns how many calls it made.</summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        int calls = 0;
        while (!stop.IsCancellationRequested)
        {
            int member = random.Next(cluster.Members.Count);
            string key = keys[random.Next(keys.Count)];
            int roll = random.Next(10);
            if (roll < 4)
            {
                await GetAsync(member, key);
            }
            else if (roll < 7)
            {
                await PutAsync(member, key);
            }
            else
            {
                await CompareAndSetAsync(member, key);
            }

            calls++;
            await Task.Delay(random.Next(0, 5), CancellationToken.None);
        }

        return calls;
    }

    private async Task GetAsync(int member, string key)
    {
        OperationHandle op = recorder.Invoke(clientId, KvCall.Get(key));
        try
        {
            RangeResponse got = await cluster.Kv(member).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: Deadline());
            string? value = got.Kvs.Count == 0 ? null : got.Kvs[0].Value.ToStringUtf8();
            recorder.Complete(op, KvOutcome.Read(value));
            lastSeen[key] = value;
        }
        catch (RpcException)
        {
            recorder.Complete(op, KvOutcome.Unknown);
        }
    }

    private async Task PutAsync(int member, string key)
    {
        string value = NextValue();
        OperationHandle op = recorder.Invoke(clientId, KvCall.Put(key, value));
        try
        {
            await cluster.Kv(member).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, deadline: Deadline());
            recorder.Complete(op, KvOutcome.Written);
            lastSeen[key] = value;
        }
        catch (RpcException)
        {
            recorder.Complete(op, KvOutcome.Unknown);
        }
    }

    /// <summary>A CAS is a Txn: if the value equals the expected one (or the key is absent: create revision 0), put.</summary>
    private async Task CompareAndSetAsync(int member, string key)
    {
        string? expected = lastSeen.GetValueOrDefault(key);
        string value = NextValue();
        Compare compare = expected is null
            ? new Compare { Key = ByteString.CopyFromUtf8(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 }
            : new Compare { Key = ByteString.CopyFromUtf8(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(expected) };
        TxnRequest txn = new()
        {
            Compare = { compare },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } } },
        };
        OperationHandle op = recorder.Invoke(clientId, KvCall.CompareAndSet(key, expected, value));
        try
        {
            TxnResponse answer = await cluster.Kv(member).TxnAsync(txn, deadline: Deadline());
            recorder.Complete(op, KvOutcome.Swapped(answer.Succeeded));
            if (answer.Succeeded)
            {
                lastSeen[key] = value;
            }
        }
        catch (RpcException)
        {
            recorder.Complete(op, KvOutcome.Unknown);
        }
    }

    /// <summary>Put values are unique across the history: the checker tells writes apart by value.</summary>
    private string NextValue() => $"c{clientId}-{sequence++}";

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;
}
