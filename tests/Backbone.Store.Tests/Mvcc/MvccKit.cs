using System.Diagnostics;
using System.Text;
using Backbone.Store.Model;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>Short spellings for engine tests: string keys, one-line puts and reads, typed errors.</summary>
internal static class MvccKit
{
    /// <summary>How long a poll waits for asynchronous engine work (lease revokes) before failing.</summary>
    public static readonly TimeSpan PollDeadline = TimeSpan.FromSeconds(10);

    public static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    public static string S(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Options for a test engine: fsync off (the tests reopen cleanly, they do not pull the plug).</summary>
    public static StoreOptions Fast(this TempDir dir) => dir.Options with { UnsafeNoFsync = true };

    public static Task<PutResult> PutAsync(this StoreEngine engine, string key, string value, long lease = 0) =>
        engine.PutAsync(new PutRequest { Key = B(key), Value = B(value), Lease = lease }, CancellationToken.None);

    public static Task<DeleteRangeResult> DeleteAsync(this StoreEngine engine, string key, string? rangeEnd = null, bool prevKv = false) =>
        engine.DeleteRangeAsync(new DeleteRangeRequest { Key = B(key), RangeEnd = rangeEnd is null ? [] : B(rangeEnd), PrevKv = prevKv }, CancellationToken.None);

    public static Task<TxnResult> TxnAsync(this StoreEngine engine, Compare[] compare, RequestOp[] success, RequestOp[]? failure = null) =>
        engine.TxnAsync(new TxnRequest { Compare = compare, Success = success, Failure = failure ?? [] }, CancellationToken.None);

    /// <summary>The key at <paramref name="revision"/> (0 = latest), or null when it does not exist then.</summary>
    public static KeyValue? Get(this StoreEngine engine, string key, long revision = 0) =>
        engine.Range(new RangeRequest { Key = B(key), Revision = revision }).Kvs.SingleOrDefault();

    /// <summary>Every live key, in key order, at <paramref name="revision"/> (0 = latest).</summary>
    public static string[] Keys(this StoreEngine engine, long revision = 0) =>
        [.. engine.Range(new RangeRequest { Key = [0], RangeEnd = [0], Revision = revision }).Kvs.Select(kv => S(kv.Key))];

    public static RequestOp PutOp(string key, string value, long lease = 0) =>
        new() { Put = new PutRequest { Key = B(key), Value = B(value), Lease = lease } };

    public static RequestOp DeleteOp(string key, string? rangeEnd = null) =>
        new() { DeleteRange = new DeleteRangeRequest { Key = B(key), RangeEnd = rangeEnd is null ? [] : B(rangeEnd) } };

    public static RequestOp RangeOp(string key, string? rangeEnd = null, long revision = 0) =>
        new() { Range = new RangeRequest { Key = B(key), RangeEnd = rangeEnd is null ? [] : B(rangeEnd), Revision = revision } };

    public static RequestOp TxnOp(Compare[] compare, RequestOp[] success, RequestOp[]? failure = null) =>
        new() { Txn = new TxnRequest { Compare = compare, Success = success, Failure = failure ?? [] } };

    public static Compare Cmp(string key, CompareTarget target, CompareResult result, long number = 0, string? value = null, string? rangeEnd = null) =>
        new()
        {
            Key = B(key),
            RangeEnd = rangeEnd is null ? [] : B(rangeEnd),
            Target = target,
            Result = result,
            Number = number,
            Value = value is null ? [] : B(value),
        };

    /// <summary>Runs <paramref name="act"/> and returns the <see cref="StoreError"/> it failed with.</summary>
    public static async Task<StoreError> ErrorOfAsync(Func<Task> act)
    {
        StoreException e = await Assert.ThrowsAsync<StoreException>(act);
        return e.Error;
    }

    public static StoreError ErrorOf(Action act) => Assert.Throws<StoreException>(act).Error;

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="PollDeadline"/> (real time) passes.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > PollDeadline)
            {
                Assert.Fail($"timed out after {PollDeadline.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }
}
