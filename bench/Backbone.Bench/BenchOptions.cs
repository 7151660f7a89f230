using System.Globalization;
using System.Net;

namespace Backbone.Bench;

/// <summary>The flags of one run (see <see cref="Usage"/>); parsed once, then passed down.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        usage: Backbone.Bench --endpoint HOST:PORT --op put|range|range-serializable|txn|watch
                              [--clients N] [--connections M] [--duration S] [--warmup S]
                              [--rate R] [--keys K] [--value-bytes B] [--server-pid PID]
                              [--watchers W] [--watch-per-key] [--label NAME] [--seed N]
               Backbone.Bench report BACKBONE_RESULTS ETCD_RESULTS
        Prints one line per run: RESULT key=value ... (latency in ms, CPU in µs per operation).
        --rate R     total ops/s over all clients (each client paced, latency from actual send);
                     for --op watch, the writers' total writes/s. 0 = closed loop.
        --clients N  concurrent clients (for --op watch: writers).
        --server-pid adds the server's CPU time (utime+stime of /proc/PID/stat) per operation.
        HOST must be a loopback address: this tool never loads anything but the local machine.
        """;

    public required string Endpoint { get; init; }
    public required BenchOp Op { get; init; }
    public int Clients { get; init; } = 1;
    public int Connections { get; init; } = 1;
    public double DurationSeconds { get; init; } = 10;
    public double WarmupSeconds { get; init; } = 2;
    public double Rate { get; init; }
    public int Keys { get; init; } = 1_000;
    public int ValueBytes { get; init; } = 256;
    public int? ServerPid { get; init; }
    public int Watchers { get; init; } = 1_000;

    /// <summary>Watch op: watcher i watches key i alone (each write reaches one watcher) instead of all on one prefix.</summary>
    public bool WatchPerKey { get; init; }
    public string? Label { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the reason on bad input.</summary>
    public static BenchOptions Parse(string[] args)
    {
        string? endpoint = null;
        BenchOp? op = null;
        var o = new BenchOptions { Endpoint = "", Op = BenchOp.Put };
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--endpoint": endpoint = Next(); break;
                case "--op": op = ParseOp(Next()); break;
                case "--clients": o = o with { Clients = ParseInt(flag, Next(), 1, 100_000) }; break;
                case "--connections": o = o with { Connections = ParseInt(flag, Next(), 1, 10_000) }; break;
                case "--duration": o = o with { DurationSeconds = ParseDouble(flag, Next(), 0.1, 3_600) }; break;
                case "--warmup": o = o with { WarmupSeconds = ParseDouble(flag, Next(), 0, 600) }; break;
                case "--rate": o = o with { Rate = ParseDouble(flag, Next(), 0, 10_000_000) }; break;
                case "--keys": o = o with { Keys = ParseInt(flag, Next(), 1, 100_000_000) }; break;
                case "--value-bytes": o = o with { ValueBytes = ParseInt(flag, Next(), 8, 1_500_000) }; break;
                case "--server-pid": o = o with { ServerPid = ParseInt(flag, Next(), 1, int.MaxValue) }; break;
                case "--watchers": o = o with { Watchers = ParseInt(flag, Next(), 1, 1_000_000) }; break;
                case "--watch-per-key": o = o with { WatchPerKey = true }; break;
                case "--label": o = o with { Label = Next() }; break;
                case "--seed": o = o with { Seed = ParseInt(flag, Next(), 0, int.MaxValue) }; break;
                default: throw new ArgumentException($"unknown flag {flag}");
            }
        }

        if (endpoint is null || op is null)
        {
            throw new ArgumentException("--endpoint and --op are required");
        }

        if (op == BenchOp.Watch && o.Rate <= 0)
        {
            throw new ArgumentException("--op watch needs --rate (writes/s)");
        }

        RequireLoopback(endpoint);
        return o with { Endpoint = endpoint, Op = op.Value };
    }

    /// <summary>The gRPC address of the endpoint (cleartext HTTP/2).</summary>
    public Uri Address => new("http://" + Endpoint);

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
        "watch" => BenchOp.Watch,
        _ => throw new ArgumentException($"--op {value}: expected put, range, range-serializable, txn or watch"),
    };

    public static string OpName(BenchOp op) => op switch
    {
        BenchOp.Put => "put",
        BenchOp.Range => "range",
        BenchOp.RangeSerializable => "range-serializable",
        BenchOp.Txn => "txn",
        BenchOp.Watch => "watch",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static int ParseInt(string flag, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{flag} {value}: expected an integer in [{min}, {max}]");

    private static double ParseDouble(string flag, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= min && d <= max
            ? d
            : throw new ArgumentException($"{flag} {value}: expected a number in [{min}, {max}]");
}
