namespace Backbone.Bench;

/// <summary>What one run measures (the <c>--op</c> flag).</summary>
public enum BenchOp
{
    /// <summary>Put of a random key out of <c>--keys</c>, <c>--value-bytes</c> long.</summary>
    Put,

    /// <summary>Linearizable Range of one random key (prefilled).</summary>
    Range,

    /// <summary>Serializable Range of one random key (prefilled): answered from the local store.</summary>
    RangeSerializable,

    /// <summary>Txn: if ModRevision(key) &lt; max then Put(key) else Range(key) (the compare always holds).</summary>
    Txn,

    /// <summary>
    /// Maintenance.Alarm (GET), which Backbone answers without touching its store: the cost of
    /// the request path alone (Kestrel, HTTP/2, gRPC), the floor under every other operation.
    /// etcd 3.4 sends Alarm through Raft, so on etcd this is not a floor.
    /// </summary>
    Alarm,

    /// <summary>Watchers on a prefix, writers at a fixed rate; measures delivery latency.</summary>
    Watch,

    /// <summary>Paced puts that move to the next endpoint on an error; measures the longest gap between successes.</summary>
    Failover,
}
