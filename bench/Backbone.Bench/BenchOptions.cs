using System.Globalization;
using System.Net;

namespace Backbone.Bench;

/// <summary>The flags of one run (see <see cref="Usage"/>); parsed once, then passed down.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        usage: Backbone.Bench --endpoint HOST:PORT[,HOST:PORT...]
                              --op put|range|range-serializable|txn|alarm|watch|failover
                              [--clients N] [--connections M] [--duration S] [--warmup S]
                              [--rate R] [--keys K] [--value-bytes B] [--server-pid PID[,PID...]]
                              [--watchers W] [--watch-per-key] [--request-timeout-ms T]
                              [--label NAME] [--seed N]
               Backbone.Bench report BACKBONE_RESULTS ETCD_RESULTS
        Prints one line per run: RESULT key=value ... (latency in ms, CPU in µs per operation).
        --endpoint   one member, or several of a cluster: client i uses endpoint i mod E, and each
                     endpoint gets its share of the M connections (at least one).
        --rate R     total ops/s over all clients (each client paced, latency from actual send);
                     for --op watch and failover, the writers' total writes/s. 0 = closed loop.
        --clients N  concurrent clients (for --op watch and failover: writers).
        --server-pid adds the servers' CPU time (utime+stime of /proc/PID/stat, summed over the
                     PIDs) per operation; every PID must live through the run.
        --op alarm   Maintenance.Alarm, which Backbone answers without its store: what the request
                     path alone (Kestrel, HTTP/2, gRPC) costs. etcd 3.4 sends it through Raft.
        --op failover  paced puts (needs --rate) for an availability test while the caller kills
                     a member: writer i starts on endpoint i mod E; when a put fails or takes over
                     --request-timeout-ms (default 1000) the writer moves to the next endpoint and
                     retries that put at its next turn. Adds max_gap_ms, the longest time in the
                     measured window in which no put succeeded anywhere; gap_start_ms, where it
                     began (from the window start); recovered=false when it ran to the window's end
                     (a lower bound then); errors (failed attempts) and timeouts (among them).
                     Prints "bench: window open" on stderr when the measured window starts, for
                     the caller to time the kill. Takes no --server-pid.
        HOST must be a loopback address: this tool never loads anything but the local machine.
        """;

    /// <summary>The members to load, in order: client i uses endpoint i mod the count.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    public required BenchOp Op { get; init; }
    public int Clients { get; init; } = 1;
    public int Connections { get; init; } = 1;
    public double DurationSeconds { get; init; } = 10;
    public double WarmupSeconds { get; init; } = 2;
    public double Rate { get; init; }
    public int Keys { get; init; } = 1_000;
    public int ValueBytes { get; init; } = 256;

    /// <summary>The server processes whose CPU time is summed per operation (none: not measured).</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    public int Watchers { get; init; } = 1_000;

    /// <summary>Watch op: watcher i watches key i alone (each write reaches one watcher) instead of all on one prefix.</summary>
    public bool WatchPerKey { get; init; }

    /// <summary>Failover op: an attempt not answered within this is abandoned and retried elsewhere.</summary>
    public int RequestTimeoutMs { get; init; } = 1_000;

    public string? Label { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>The value every put of a run writes: <see cref="ValueBytes"/> random bytes from <see cref="Seed"/>.</summary>
    public Google.Protobuf.ByteString RandomValue()
    {
        byte[] bytes = new byte[ValueBytes];
        new Random(Seed).NextBytes(bytes);
        return Google.Protobuf.ByteString.CopyFrom(bytes);
    }

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the reason on bad input.</summary>
    public static BenchOptions Parse(string[] args)
    {
        string? endpoints = null;
        BenchOp? op = null;
        var o = new BenchOptions { Endpoints = [], Op = BenchOp.Put };
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--endpoint": endpoints = Next(); break;
                case "--op": op = ParseOp(Next()); break;
                case "--clients": o = o with { Clients = ParseInt(flag, Next(), 1, 100_000) }; break;
                case "--connections": o = o with { Connections = ParseInt(flag, Next(), 1, 10_000) }; break;
                case "--duration": o = o with { DurationSeconds = ParseDouble(flag, Next(), 0.1, 3_600) }; break;
                case "--warmup": o = o with { WarmupSeconds = ParseDouble(flag, Next(), 0, 600) }; break;
                case "--rate": o = o with { Rate = ParseDouble(flag, Next(), 0, 10_000_000) }; break;
                case "--keys": o = o with { Keys = ParseInt(flag, Next(), 1, 100_000_000) }; break;
                case "--value-bytes": o = o with { ValueBytes = ParseInt(flag, Next(), 8, 1_500_000) }; break;
                case "--server-pid": o = o with { ServerPids = ParsePids(flag, Next()) }; break;
                case "--watchers": o = o with { Watchers = ParseInt(flag, Next(), 1, 1_000_000) }; break;
                case "--watch-per-key": o = o with { WatchPerKey = true }; break;
                case "--request-timeout-ms": o = o with { RequestTimeoutMs = ParseInt(flag, Next(), 1, 600_000) }; break;
                case "--label": o = o with { Label = Next() }; break;
                case "--seed": o = o with { Seed = ParseInt(flag, Next(), 0, int.MaxValue) }; break;
                default: throw new ArgumentException($"unknown flag {flag}");
            }
        }

        if (endpoints is null || op is null)
        {
            throw new ArgumentException("--endpoint and --op are required");
        }

        if (op is BenchOp.Watch or BenchOp.Failover && o.Rate <= 0)
        {
            throw new ArgumentException($"--op {OpName(op.Value)} needs --rate (writes/s)");
        }

        if (op == BenchOp.Failover && o.ServerPids.Count > 0)
        {
            throw new ArgumentException("--op failover takes no --server-pid: a member is killed during the run");
        }

        string[] list = endpoints.Split(',', StringSplitOptions.TrimEntries);
        foreach (string endpoint in list)
        {
            RequireLoopback(endpoint);
        }

        return o with { Endpoints = list, Op = op.Value };
    }

    /// <summary>The gRPC addresses of the endpoints (cleartext HTTP/2), in order.</summary>
    public IReadOnlyList<Uri> Addresses => Endpoints.Select(e => new Uri("http://" + e)).ToArray();

    private static void RequireLoopback(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        string host = colon > 0 ? endpoint[..colon].Trim('[', ']') : "";
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ArgumentException($"--endpoint {endpoint}: expected HOST:PORT");
        }

        if (!IPAddress.TryParse(host, out IPAddress? address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"--endpoint {endpoint}: only loopback addresses (127.0.0.1) are allowed");
        }
    }

    private static BenchOp ParseOp(string value) => value switch
    {
        "put" => BenchOp.Put,
        "range" => BenchOp.Range,
        "range-serializable" => BenchOp.RangeSerializable,
        "txn" => BenchOp.Txn,
        "alarm" => BenchOp.Alarm,
        "watch" => BenchOp.Watch,
        "failover" => BenchOp.Failover,
        _ => throw new ArgumentException($"--op {value}: expected put, range, range-serializable, txn, alarm, watch or failover"),
    };

    public static string OpName(BenchOp op) => op switch
    {
        BenchOp.Put => "put",
        BenchOp.Range => "range",
        BenchOp.RangeSerializable => "range-serializable",
        BenchOp.Txn => "txn",
        BenchOp.Alarm => "alarm",
        BenchOp.Watch => "watch",
        BenchOp.Failover => "failover",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static int[] ParsePids(string flag, string value) =>
        value.Split(',', StringSplitOptions.TrimEntries).Select(pid => ParseInt(flag, pid, 1, int.MaxValue)).ToArray();

    private static int ParseInt(string flag, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{flag} {value}: expected an integer in [{min}, {max}]");

    private static double ParseDouble(string flag, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= min && d <= max
            ? d
            : throw new ArgumentException($"{flag} {value}: expected a number in [{min}, {max}]");
}
