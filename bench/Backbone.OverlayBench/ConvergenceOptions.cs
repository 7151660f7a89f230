using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Backbone.OverlayBench;

/// <summary>The flags of one run (see <see cref="Usage"/>); parsed once, then passed down.</summary>
public sealed record ConvergenceOptions
{
    public const string Usage = """
        usage: Backbone.OverlayBench --watch HOST:PORT[,HOST:PORT...] --create HOST:PORT --network NAME
                                     --sender-ns NS --sender-sandbox NS --receiver-prefix PREFIX --receiver-sandbox NS --out FILE
                                     [--samples 30] [--port 9999] [--timeout-ms 5000] [--seed 1]
        Convergence of a lab's overlay, --samples times: a standalone container (sleep infinity) is
        run on NAME through --create (the node that will host it); from the moment its address is
        known, a UDP datagram a millisecond goes to it from --sender-ns (a container on another host,
        with a permanent neighbour entry for the new address, so ARP plays no part) until the first
        one arrives in --receiver-sandbox (the network's sandbox on the creating host, where a packet
        socket sees it come out of vxlan0; the container, prefix --receiver-prefix, is built before
        its endpoint is published, so it is delivered on). Every member in --watch is watched on /bb/; the
        first report of the container's endpoint key is its registration. The container is then
        removed and the next sample waits until its endpoint, namespace and --sender-sandbox's FDB
        entry are gone, plus 200 ms and a random pause of up to 1 s (from --seed), so samples start at
        random phases of the agents' periodic reads. Writes one tab-separated line per sample to FILE
        (times in ms from the run request; see the header). HOSTs must be on a subnet of this
        namespace's interfaces.
        """;

    public required IReadOnlyList<IPEndPoint> Watch { get; init; }
    public required IPEndPoint Create { get; init; }
    public required string Network { get; init; }
    public required string SenderNamespace { get; init; }
    public required string SenderSandbox { get; init; }
    public required string ReceiverPrefix { get; init; }
    public required string ReceiverSandbox { get; init; }
    public required string Out { get; init; }
    public int Samples { get; init; } = 30;
    public int Port { get; init; } = 9999;
    public int TimeoutMs { get; init; } = 5000;
    public int Seed { get; init; } = 1;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the reason on bad input.</summary>
    public static ConvergenceOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --flag VALUE at \"{args[i]}\"");
            }

            values[args[i]] = args[++i];
        }

        string Required(string flag) => values.Remove(flag, out string? v) ? v : throw new ArgumentException($"{flag} is required");
        int Positive(string flag, int fallback) => !values.Remove(flag, out string? v) ? fallback
            : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{flag}: a positive integer, not \"{v}\"");

        var options = new ConvergenceOptions
        {
            Watch = [.. Required("--watch").Split(',').Select(e => LabEndpoint(e, "--watch"))],
            Create = LabEndpoint(Required("--create"), "--create"),
            Network = Required("--network"),
            SenderNamespace = Required("--sender-ns"),
            SenderSandbox = Required("--sender-sandbox"),
            ReceiverPrefix = Required("--receiver-prefix"),
            ReceiverSandbox = Required("--receiver-sandbox"),
            Out = Required("--out"),
            Samples = Positive("--samples", 30),
            Port = Positive("--port", 9999),
            TimeoutMs = Positive("--timeout-ms", 5000),
            Seed = Positive("--seed", 1),
        };
        return values.Count == 0 ? options : throw new ArgumentException($"unknown flag {values.Keys.First()}");
    }

    /// <summary>HOST:PORT with HOST on a subnet one of this namespace's interfaces is on: the lab's underlay, never beyond.</summary>
    private static IPEndPoint LabEndpoint(string text, string flag)
    {
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endpoint) || endpoint.Port == 0 || endpoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{flag}: \"{text}\" is not IPv4 HOST:PORT");
        }

        uint host = Bits(endpoint.Address);
        bool local = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Any(u => u.Address.AddressFamily == AddressFamily.InterNetwork && u.PrefixLength is > 0 and <= 32
                && (host ^ Bits(u.Address)) >> (32 - u.PrefixLength) == 0);
        return local ? endpoint : throw new ArgumentException($"{flag}: {endpoint.Address} is on no subnet of this namespace's interfaces (the lab's underlay)");
    }

    private static uint Bits(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}
