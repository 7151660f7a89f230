using System.Globalization;
using System.Net;

namespace Backbone.DnsBench;

/// <summary>The flags of one run (see <see cref="Usage"/>); parsed once, then passed down.</summary>
public sealed record DnsBenchOptions
{
    public const string Usage = """
        usage: Backbone.DnsBench seed --endpoint HOST:PORT --out FILE
                                      [--network bench] [--subnet 10.200.0.0/20] [--names 1000] [--rr 10]
               Backbone.DnsBench freshness --endpoint HOST:PORT --dns HOST:PORT
                                      [--network bench] [--samples 200] [--poll-ms 1] [--seed 1]
        seed       creates the network, services svc0..svcN-1 (vip mode: one A record each, the VIP),
                   a dnsrr service "rr" with --rr running task endpoints (its round-robin set), and
                   writes FILE: "A name address" and "PTR address name" lines, names relative to the
                   network, exactly what the DNS server answers for them (for the other servers).
        freshness  on a seeded store: a dnsrr service "fresh" with one running endpoint; then, --samples
                   times, adds a second running endpoint or removes it (a scale up or down by one, as
                   the agent writes it) through --endpoint, and asks --dns for fresh.<network>. A over
                   UDP every --poll-ms (0: back to back) until the answer has the new count. Prints:
                   RESULT freshness samples=N p50_ms= p99_ms= max_ms= ack_p50_ms= ack_p99_ms= failed=N
                   (times from sending the write; ack_*: the write's own acknowledgement).
        HOST must be a loopback address: this tool never talks to anything but the local machine.
        """;

    public required DnsBenchMode Mode { get; init; }

    /// <summary>The node whose client API takes the writes.</summary>
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>Freshness: the DNS listener (another node's --dns-addr) that is polled.</summary>
    public IPEndPoint? Dns { get; init; }

    public string Network { get; init; } = "bench";
    public string Subnet { get; init; } = "10.200.0.0/20";
    public int Names { get; init; } = 1_000;
    public int RoundRobin { get; init; } = 10;
    public string? Out { get; init; }
    public int Samples { get; init; } = 200;

    /// <summary>
    /// Freshness: the pause between two questions. Back to back, the prober and the node it asks
    /// keep most of a core busy, which a 2-core machine running three nodes takes from the change
    /// being measured; 1 ms costs at most that much resolution.
    /// </summary>
    public int PollMs { get; init; } = 1;
    public int Seed { get; init; } = 1;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the reason on bad input.</summary>
    public static DnsBenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || !Enum.TryParse(args[0], ignoreCase: true, out DnsBenchMode mode))
        {
            throw new ArgumentException("the first argument is the mode: seed or freshness");
        }

        IPEndPoint? endpoint = null;
        var o = new DnsBenchOptions { Mode = mode, Endpoint = new IPEndPoint(IPAddress.Loopback, 0) };
        for (int i = 1; i < args.Length; i++)
        {
            string flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            o = flag switch
            {
                "--endpoint" => o with { Endpoint = endpoint = Loopback(Next(), flag) },
                "--dns" => o with { Dns = Loopback(Next(), flag) },
                "--network" => o with { Network = Next() },
                "--subnet" => o with { Subnet = Next() },
                "--names" => o with { Names = Positive(Next(), flag) },
                "--rr" => o with { RoundRobin = Positive(Next(), flag) },
                "--out" => o with { Out = Next() },
                "--samples" => o with { Samples = Positive(Next(), flag) },
                "--poll-ms" => o with { PollMs = NonNegative(Next(), flag) },
                "--seed" => o with { Seed = Positive(Next(), flag) },
                _ => throw new ArgumentException($"unknown flag {flag}"),
            };
        }

        if (endpoint is null)
        {
            throw new ArgumentException("--endpoint is required");
        }

        if (mode == DnsBenchMode.Seed && o.Out is null)
        {
            throw new ArgumentException("seed needs --out FILE");
        }

        if (mode == DnsBenchMode.Freshness && o.Dns is null)
        {
            throw new ArgumentException("freshness needs --dns HOST:PORT");
        }

        return o;
    }

    private static IPEndPoint Loopback(string text, string flag)
    {
        if (!IPEndPoint.TryParse(text, out IPEndPoint? parsed) || parsed.Port == 0)
        {
            throw new ArgumentException($"{flag} \"{text}\" is not HOST:PORT");
        }

        if (!IPAddress.IsLoopback(parsed.Address))
        {
            throw new ArgumentException($"{flag} {text}: only loopback addresses (127.0.0.0/8) are allowed");
        }

        return parsed;
    }

    private static int NonNegative(string text, string flag) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"{flag} \"{text}\" is not a non-negative integer");

    private static int Positive(string text, string flag) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"{flag} \"{text}\" is not a positive integer");
}
