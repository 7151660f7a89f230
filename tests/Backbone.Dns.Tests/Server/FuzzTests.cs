using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using Backbone.Dns.Tests.Forwarding;
using Makaretu.Dns;
using Xunit.Abstractions;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// Rule 11: 100,000 hostile packets (random bytes and broken queries, <see cref="PacketMutator"/>),
/// most over UDP, a share over TCP with good and bad length prefixes. Each is also handed to the
/// responder in-process, which must never throw. Over the sockets nothing is awaited per UDP
/// packet: after each burst a good query (the sentinel) goes on the same socket, and since one
/// loop reads that socket in order, its answer proves every packet before it was answered or
/// dropped without the loop ending. Every TCP connection must be closed by the server (answered,
/// dropped, or at the end of what was written) well within the patience. In the end the
/// listener's counters must add up: every packet it read was answered or dropped, exactly once
/// (a forward that fails inside answers nobody: that is a lost query). Afterwards good queries
/// still get the right answers over UDP and TCP, and through the forwarder.
/// The seed is printed; set BACKBONE_FUZZ_SEED to replay a run.
/// </summary>
[Collection(nameof(FuzzCollection))]
public sealed class FuzzTests(ITestOutputHelper output)
{
    public const string SeedVariable = "BACKBONE_FUZZ_SEED";
    private const int PacketCount = 100_000;

    /// <summary>Small enough that a burst fits the socket buffers even where they are the kernel's 208 KiB default.</summary>
    private const int BurstSize = 100;

    /// <summary>Of each burst, this many go over TCP (2%), each on its own connection.</summary>
    private const int TcpPerBurst = 2;

    private static readonly TimeSpan SentinelResend = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task EveryPacketIsAnsweredOrDroppedAndTheListenerKeepsServing()
    {
        int seed = Seed();
        output.WriteLine($"fuzz seed {seed} (replay: {SeedVariable}={seed})");
        var mutator = new PacketMutator(new Random(seed));
        var responder = new DnsResponder(() => ListenerHarness.Table);
        await using ListenerHarness server = ListenerHarness.Start(new UpstreamScript { Answer = q => UpstreamScript.Response(q, MessageStatus.NameError) });
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        await udp.ConnectAsync(server.Endpoint);
        var run = new FuzzRun(seed);
        byte[] receiveBuffer = new byte[ushort.MaxValue];
        var clock = Stopwatch.StartNew();

        for (int burst = 0; run.Packets < PacketCount; burst++)
        {
            var connections = new List<Task>();
            for (int i = 0; i < BurstSize && run.Packets < PacketCount; i++)
            {
                byte[] packet = mutator.Next();
                bool overTcp = i < TcpPerBurst;
                CheckResponder(responder, packet, overTcp, run);
                if (overTcp)
                {
                    connections.Add(ExchangeOverTcpAsync(server.Endpoint, mutator.TcpStream(packet), run));
                }
                else
                {
                    udp.Send(packet);
                    run.UdpSent++;
                }

                run.Packets++;
            }

            await AwaitSentinelAsync(udp, receiveBuffer, run, burst);
            await Task.WhenAll(connections);
        }

        TimeSpan elapsed = clock.Elapsed;

        // Every packet the listener read was dropped or answered, exactly once; forwards finish
        // on their own, so give them time. One read but never answered is a query lost inside.
        DnsCounters counters = server.Counters;
        await Poll.UntilAsync(
            () => counters.Dropped + Answered(counters) == counters.Queries,
            $"seed {seed}: every packet read is answered or dropped (read {counters.Queries}, dropped {counters.Dropped}, answered {Answered(counters)})");
        output.WriteLine(
            $"{run.Packets} packets in {elapsed.TotalSeconds:F1} s ({run.Packets / elapsed.TotalSeconds:F0}/s): " +
            $"UDP {run.UdpSent} sent, {run.UdpReplies} replies; TCP {run.TcpConnections} connections, {run.TcpReplies} replies; " +
            $"listener: {server.Counters.Queries} read, {server.Counters.Dropped} dropped, " +
            $"{server.Counters.Answered(MessageStatus.NoError)} NOERROR, {server.Counters.Answered(MessageStatus.FormatError)} FORMERR, " +
            $"{server.Counters.Answered(MessageStatus.NameError)} NXDOMAIN, {server.Counters.Answered(MessageStatus.NotImplemented)} NOTIMP, " +
            $"{server.Counters.Answered(MessageStatus.ServerFailure)} SERVFAIL; forwarded {server.Forwarder.Forwarded}");

        Assert.True(run.Violations.IsEmpty, $"seed {seed}: {string.Join("; ", run.Violations.Take(10))}");
        Assert.True(server.Notes.Count == 0, $"seed {seed}: the listener failed on its own: {string.Join("; ", server.Notes.Take(5))}");
        Assert.Equal(0, server.Upstream.Unparseable);
        Assert.True(server.Counters.Queries >= run.UdpSent, $"seed {seed}: the listener read {server.Counters.Queries} packets of {run.UdpSent} sent over UDP alone");
        Assert.True(run.UdpReplies > 0 && run.TcpReplies > 0, $"seed {seed}: hardly anything was answered ({run.UdpReplies} UDP, {run.TcpReplies} TCP)");

        Assert.Equal([ListenerHarness.WebVip], Addresses(await UdpAsync(server.Endpoint, Query("web", DnsType.A))));
        Assert.Equal(ListenerHarness.BigTasks, (await TcpAsync(server.Endpoint, Query("tasks.big", DnsType.A))).Answers.Count);
        Assert.Equal(MessageStatus.NameError, (await UdpAsync(server.Endpoint, Query("after.example.com", DnsType.A))).Status);
    }

    private static long Answered(DnsCounters counters)
    {
        long answered = 0;
        for (int status = 0; status < 16; status++)
        {
            answered += counters.Answered((MessageStatus)status);
        }

        return answered;
    }

    /// <summary>The responder itself, in-process: whatever the bytes, it returns a decision and never throws.</summary>
    private static void CheckResponder(DnsResponder responder, byte[] packet, bool overTcp, FuzzRun run)
    {
        try
        {
            DnsReply reply = responder.Respond(packet, packet.Length, NameScope.All, overTcp);
            if (reply.Bytes is { } bytes && (bytes.Length < Packets.HeaderLength || !Packets.IsResponse(bytes)))
            {
                run.Violations.Add($"packet {run.Packets} ({Convert.ToHexString(packet)}): the reply is not a response");
            }
        }
        catch (Exception e)
        {
            run.Violations.Add($"packet {run.Packets} ({Convert.ToHexString(packet)}): the responder threw {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Sends a good query after the burst and reads replies until its answer: the UDP loop got through everything before it.</summary>
    private static async Task AwaitSentinelAsync(Socket udp, byte[] buffer, FuzzRun run, int burst)
    {
        Message sentinel = Query("web", DnsType.A);
        byte[] bytes = sentinel.ToByteArray();
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            udp.Send(bytes); // again after a pause: a datagram the kernel dropped must not read as a stall
            using var resend = CancellationTokenSource.CreateLinkedTokenSource(patience.Token);
            resend.CancelAfter(SentinelResend);
            try
            {
                while (true)
                {
                    int length = await udp.ReceiveAsync(buffer, SocketFlags.None, resend.Token);
                    if (length >= Packets.HeaderLength && Packets.Id(buffer) == sentinel.Id && IsSentinelAnswer(buffer.AsSpan(0, length).ToArray()))
                    {
                        return;
                    }

                    run.UdpReplies++;
                    if (length < Packets.HeaderLength || !Packets.IsResponse(buffer))
                    {
                        run.Violations.Add($"a UDP reply of {length} bytes that is not a response");
                    }
                }
            }
            catch (OperationCanceledException) when (!patience.IsCancellationRequested)
            {
                // resend
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"seed {run.Seed}: the UDP loop did not answer a good query after burst {burst} (packet {run.Packets}) within {Patience}");
            }
        }
    }

    private static bool IsSentinelAnswer(byte[] reply)
    {
        try
        {
            return Addresses(Parse(reply)) is [ListenerHarness.WebVip];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Writes the stream, half-closes, and reads framed replies until the server closes: it must, within the patience.</summary>
    private static async Task ExchangeOverTcpAsync(IPEndPoint server, byte[] written, FuzzRun run)
    {
        Interlocked.Increment(ref run.TcpConnections);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            await socket.ConnectAsync(server, patience.Token);
            await using var stream = new NetworkStream(socket);
            await stream.WriteAsync(written, patience.Token);
            socket.Shutdown(SocketShutdown.Send);
            while (await TcpFraming.ReadAsync(stream, patience.Token) is { } reply)
            {
                Interlocked.Increment(ref run.TcpReplies);
                if (reply.Length < Packets.HeaderLength || !Packets.IsResponse(reply))
                {
                    run.Violations.Add($"a TCP reply of {reply.Length} bytes that is not a response");
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException && !patience.IsCancellationRequested)
        {
            // the server closed on us with bytes unread (a reset): closed is what we wait for
        }
        catch (OperationCanceledException)
        {
            run.Violations.Add($"a TCP connection writing {Convert.ToHexString(written.AsSpan(0, Math.Min(64, written.Length)))}... was not closed within {Patience}");
        }
    }

    private static int Seed() =>
        Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
}
