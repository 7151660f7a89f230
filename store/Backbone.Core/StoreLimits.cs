namespace Backbone.Core;

/// <summary>Hard limits, as etcd's defaults, so that clients written for etcd meet the same walls.</summary>
public static class StoreLimits
{
    /// <summary>etcd's --max-request-bytes default: 1.5 MiB.</summary>
    public const int MaxRequestBytes = 1536 * 1024;

    /// <summary>gRPC's receive limit leaves room above the request limit, as etcd does (+512 KiB),
    /// so an oversized request gets etcd's "request is too large" rather than a transport error.</summary>
    public const int MaxReceiveMessageBytes = MaxRequestBytes + (512 * 1024);

    /// <summary>etcd's --max-txn-ops default.</summary>
    public const int MaxTxnOps = 128;

    /// <summary>etcd's minimum lease TTL with default election settings: ceil(1.5 * 1000 ms) = 2 s.</summary>
    public const long MinLeaseTtlSeconds = 2;

    /// <summary>etcd's MaxLeaseTTL: 9,000,000,000 s.</summary>
    public const long MaxLeaseTtlSeconds = 9_000_000_000;
}
