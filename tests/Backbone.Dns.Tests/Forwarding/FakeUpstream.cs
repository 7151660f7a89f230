using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Server;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>
/// A scriptable upstream resolver on 127.0.0.1 (a free port, UDP and TCP): tests point a
/// forwarder at it instead of at this machine's resolver. Each query is handled on its own task,
/// so a delayed one never holds up the next. It counts what it is asked, so tests assert on hits
/// and outcomes rather than on time.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket udp;
    private readonly Socket tcp;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<string, int> byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Task[] loops;
    private int udpQueries;
    private int tcpQueries;
    private int unparseable;

    public FakeUpstream(UpstreamScript script)
    {
        Script = script;
        (udp, tcp) = DnsListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = (IPEndPoint)udp.LocalEndPoint!;
        loops = [Task.Run(ServeUdpAsync), Task.Run(AcceptTcpAsync)];
    }

    /// <summary>What it does with the next query; may be swapped while it runs.</summary>
    public UpstreamScript Script { get; set; }

    public IPEndPoint Endpoint { get; }

    public int UdpQueries => Volatile.Read(ref udpQueries);

    public int TcpQueries => Volatile.Read(ref tcpQueries);

    public int Queries => UdpQueries + TcpQueries;

    /// <summary>Queries that did not parse: a forwarder must only ever send well-formed ones.</summary>
    public int Unparseable => Volatile.Read(ref unparseable);

    /// <summary>Queries for <paramref name="name"/> (without the trailing dot), over either transport.</summary>
    public int QueriesFor(string name) => byName.GetValueOrDefault(name.TrimEnd('.'));

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        udp.Dispose();
        tcp.Dispose();
        try
        {
            await Task.WhenAll(loops);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // closed under them
        }

        stopping.Dispose();
    }

    private async Task ServeUdpAsync()
    {
        byte[] buffer = new byte[ushort.MaxValue];
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stopping.Token);
            if (Parse(buffer.AsSpan(0, received.ReceivedBytes).ToArray()) is { } query)
            {
                Count(query, ref udpQueries);
                _ = AnswerUdpAsync(query, received.RemoteEndPoint);
            }
        }
    }

    private async Task AnswerUdpAsync(Message query, EndPoint client)
    {
        UpstreamScript script = Script;
        try
        {
            await Task.Delay(script.Delay, stopping.Token);
            if (script.Decoy?.Invoke(query) is { } decoy)
            {
                await udp.SendToAsync(decoy.ToByteArray(), SocketFlags.None, client, stopping.Token);
            }

            if (script.Answer(query) is not { } answer)
            {
                return;
            }

            if (script.TruncateOverUdp)
            {
                answer.Answers.Clear();
                answer.AuthorityRecords.Clear();
                answer.AdditionalRecords.Clear();
                answer.TC = true;
            }

            await udp.SendToAsync(answer.ToByteArray(), SocketFlags.None, client, stopping.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopping
        }
    }

    private async Task AcceptTcpAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket connection = await tcp.AcceptAsync(stopping.Token);
            _ = ServeTcpAsync(connection);
        }
    }

    private async Task ServeTcpAsync(Socket connection)
    {
        using (connection)
        await using (var stream = new NetworkStream(connection, ownsSocket: false))
        {
            try
            {
                while (await TcpFraming.ReadAsync(stream, stopping.Token) is { } bytes && Parse(bytes) is { } query)
                {
                    Count(query, ref tcpQueries);
                    UpstreamScript script = Script;
                    await Task.Delay(script.Delay, stopping.Token);
                    if (script.Answer(query) is { } answer)
                    {
                        await TcpFraming.WriteAsync(stream, answer.ToByteArray(), stopping.Token);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
                // the forwarder hung up, or we are stopping
            }
        }
    }

    /// <summary>The query, or null for what the forwarder should never have sent (counted as <see cref="Unparseable"/>).</summary>
    private Message? Parse(byte[] bytes)
    {
        try
        {
            var query = new Message();
            query.Read(bytes);
            return query;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref unparseable);
            return null;
        }
    }

    private void Count(Message query, ref int transport)
    {
        Interlocked.Increment(ref transport);
        if (query.Questions.Count > 0)
        {
            byName.AddOrUpdate(query.Questions[0].Name.ToString(), 1, (_, n) => n + 1);
        }
    }
}
