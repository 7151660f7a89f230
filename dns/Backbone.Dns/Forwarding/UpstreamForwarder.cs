using System.Net;
using System.Net.Sockets;
using Makaretu.Dns;

namespace Backbone.Dns.Forwarding;

/// <summary>
/// Sends the names the table does not know to the host's upstream resolvers. Unlike Docker's
/// three sequential tries with 4 s timeouts, every upstream is asked at once and the first
/// usable answer wins; a try lasts <see cref="ForwarderOptions.TryTimeout"/> and there are
/// <see cref="ForwarderOptions.Tries"/> of them. A truncated UDP answer is asked again over TCP.
/// Answers are cached (<see cref="AnswerCache"/>). At most <see cref="ForwarderOptions.MaxInFlight"/>
/// forwards run at once and as many wait; beyond that the client gets SERVFAIL at once (never
/// a wall of REFUSED), so an overload costs clients a retry, not a timeout.
/// </summary>
public sealed class UpstreamForwarder(ForwarderOptions options, TimeProvider time, ForwarderCounters counters)
{
    private readonly SemaphoreSlim running = new(options.MaxInFlight, options.MaxInFlight);
    private int waiting;

    public UpstreamForwarder(ForwarderOptions options, TimeProvider time)
        : this(options, time, new ForwarderCounters())
    {
    }

    public AnswerCache Cache { get; } = new(time, counters);

    /// <summary>What this forwarder and its cache did (for metrics; shared with <see cref="Cache"/>).</summary>
    public ForwarderCounters Counters => counters;

    public IReadOnlyList<IPEndPoint> Upstreams => options.Upstreams;

    /// <summary>Forwards asking the upstreams now.</summary>
    public int Running => options.MaxInFlight - running.CurrentCount;

    /// <summary>Forwards waiting for one of the <see cref="ForwarderOptions.MaxInFlight"/> slots.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    public long Forwarded => counters.Started;

    public long CacheHits => counters.CacheHits;

    public long Overloaded => counters.Overloaded;

    public long Failed => counters.Failed;

    /// <summary>The upstream's answer (or the cache's, or SERVFAIL) for <paramref name="query"/>, as bytes with the query's id.</summary>
    public async Task<Message> ForwardAsync(Message query, CancellationToken cancellationToken)
    {
        Question question = query.Questions[0];
        if (Cache.Find(question, query.Id) is { } cached)
        {
            return cached;
        }

        if (options.Upstreams.Count == 0)
        {
            counters.HaveNoUpstream();
            return Fail(query);
        }

        // waiting counts only those not yet running (it drops once the semaphore is ours), so
        // "as many may wait" is MaxInFlight, not twice that.
        if (Interlocked.Increment(ref waiting) > options.MaxInFlight)
        {
            Interlocked.Decrement(ref waiting);
            counters.Overload();
            return Fail(query);
        }

        try
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }

        try
        {
            counters.Start();
            long started = time.GetTimestamp();
            Message upstreamQuery = query.CreateResponse();
            upstreamQuery.QR = false;
            upstreamQuery.Id = (ushort)Random.Shared.Next(ushort.MaxValue + 1); // our own id upstream: a spoofed answer must guess it
            upstreamQuery.RD = true;
            // (CreateResponse copied the question.)
            for (int attempt = 0; attempt < options.Tries; attempt++)
            {
                if (await RaceAsync(upstreamQuery, cancellationToken).ConfigureAwait(false) is { } answer)
                {
                    Cache.Keep(question, answer.Message, answer.Bytes);
                    answer.Message.Id = query.Id;
                    counters.Answer(time.GetElapsedTime(started));
                    return answer.Message;
                }
            }

            counters.Fail(time.GetElapsedTime(started));
            return Fail(query);
        }
        finally
        {
            running.Release();
        }
    }

    /// <summary>Asks every upstream at once; the first answer to this id and question wins. Null when none answered in time.</summary>
    private async Task<(Message Message, byte[] Bytes)?> RaceAsync(Message upstreamQuery, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.TryTimeout);
        byte[] bytes = upstreamQuery.ToByteArray();
        List<Task<(Message, byte[])?>> asks = [.. options.Upstreams.Select(u => AskAsync(u, upstreamQuery, bytes, deadline.Token))];
        while (asks.Count > 0)
        {
            Task<(Message, byte[])?> done = await Task.WhenAny(asks).ConfigureAwait(false);
            asks.Remove(done);
            if (await done.ConfigureAwait(false) is { } answer)
            {
                await deadline.CancelAsync().ConfigureAwait(false); // the others stop
                return answer;
            }
        }

        return null;
    }

    private static async Task<(Message, byte[])?> AskAsync(IPEndPoint upstream, Message query, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            using var udp = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await udp.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
            await udp.SendAsync(bytes, cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[ushort.MaxValue];
            while (true)
            {
                int length = await udp.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (Parse(buffer, length, query) is { } answer)
                {
                    return answer.Message.TC ? await AskOverTcpAsync(upstream, query, bytes, cancellationToken).ConfigureAwait(false) : answer;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return null; // this upstream is down, refused or slow: the others may answer
        }
    }

    private static async Task<(Message, byte[])?> AskOverTcpAsync(IPEndPoint upstream, Message query, byte[] bytes, CancellationToken cancellationToken)
    {
        using var tcp = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await tcp.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
        using var stream = new NetworkStream(tcp);
        await TcpFraming.WriteAsync(stream, bytes, cancellationToken).ConfigureAwait(false);
        byte[]? answer = await TcpFraming.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        return answer is null ? null : Parse(answer, answer.Length, query);
    }

    /// <summary>The answer when it is one to <paramref name="query"/> (same id and question); null for anything else.</summary>
    private static (Message Message, byte[] Bytes)? Parse(byte[] buffer, int length, Message query)
    {
        if (!AnswerCheck.IsSafe(buffer.AsSpan(0, length), query.Id))
        {
            return null; // not ours, or not something to parse: checked in linear time first
        }

        try
        {
            var answer = new Message();
            answer.Read(buffer, 0, length);
            bool matches = answer.QR && answer.Id == query.Id && answer.Questions.Count == 1
                && answer.Questions[0].Type == query.Questions[0].Type && answer.Questions[0].Name.Equals(query.Questions[0].Name);
            if (!matches || answer.Status == MessageStatus.ServerFailure)
            {
                return null;
            }

            _ = answer.ToByteArray(); // one we could not write back (e.g. a label Makaretu reads but refuses to write) is no answer: never cached, never relayed
            return (answer, buffer[..length]);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private static Message Fail(Message query)
    {
        Message failure = query.CreateResponse();
        failure.Status = MessageStatus.ServerFailure;
        failure.RD = query.RD;
        failure.RA = true;
        return failure;
    }
}
