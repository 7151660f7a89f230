using System.Diagnostics;
using Backbone.Core.Metrics;
using Backbone.Dns.Server;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// Responses by rcode and their latency: the rcode is read from the header, a response timed
/// from its query's arrival lands in the histogram, one with no arrival time does not, and the
/// hot path neither allocates nor loses counts under concurrency.
/// </summary>
public sealed class DnsCountersTests
{
    [Fact]
    public void AResponseWithItsArrivalTimeIsCountedByRcodeAndTimed()
    {
        var counters = new DnsCounters();
        long arrivedThreeMsAgo = Stopwatch.GetTimestamp() - (long)(0.003 * Stopwatch.Frequency);

        counters.Answer(Response(MessageStatus.NameError), arrivedThreeMsAgo);

        Assert.Equal(1, counters.Answered(MessageStatus.NameError));
        Assert.Equal(0, counters.Answered(MessageStatus.NoError));
        HistogramSnapshot latency = counters.ResponseTime.Snapshot();
        Assert.Equal(1, latency.Count);
        int under3Ms = DurationHistogram.DefaultBoundsSeconds.Count(b => b < 0.003);
        Assert.Equal(0, latency.CumulativeCounts[under3Ms - 1]); // it took at least 3 ms: no bucket below holds it
        Assert.True(latency.Sum >= 0.003, $"sum {latency.Sum}");
    }

    [Fact]
    public void AResponseWithoutAnArrivalTimeIsCountedButNotTimed()
    {
        var counters = new DnsCounters();

        counters.Answer(Response(MessageStatus.NoError));
        counters.Answer(Response(MessageStatus.ServerFailure), receivedTimestamp: 0);

        Assert.Equal(1, counters.Answered(MessageStatus.NoError));
        Assert.Equal(1, counters.Answered(MessageStatus.ServerFailure));
        Assert.Equal(0, counters.ResponseTime.Snapshot().Count);
    }

    [Fact]
    public void FewerThanFourBytesIsNeitherCountedNorTimed()
    {
        var counters = new DnsCounters();

        counters.Answer([0x12, 0x34, 0x81], Stopwatch.GetTimestamp());

        Assert.All(Enumerable.Range(0, 16), rcode => Assert.Equal(0, counters.Answered(rcode)));
        Assert.Equal(0, counters.ResponseTime.Snapshot().Count);
    }

    [Fact]
    public void CountingAResponseAllocatesNothing()
    {
        var counters = new DnsCounters();
        Span<byte> response = stackalloc byte[12];
        response[3] = 0x83; // RA, NXDOMAIN
        counters.Answer(response, Stopwatch.GetTimestamp());

        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                counters.Query();
                counters.Answer(response, Stopwatch.GetTimestamp());
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.Equal(3_001, counters.Answered(MessageStatus.NameError));
    }

    [Fact]
    public void CountsFromManyThreadsAreNeverLost()
    {
        const int Threads = 4;
        const int Each = 50_000;
        var counters = new DnsCounters();
        byte[] noError = Response(MessageStatus.NoError);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < Each; i++)
            {
                counters.Query();
                counters.Answer(noError, Stopwatch.GetTimestamp());
            }
        });

        Assert.Equal(Threads * Each, counters.Queries);
        Assert.Equal(Threads * Each, counters.Answered(MessageStatus.NoError));
        Assert.Equal(Threads * Each, counters.ResponseTime.Snapshot().Count);
    }

    private static byte[] Response(MessageStatus status)
    {
        Message query = DnsClient.Query("x.example", DnsType.A);
        Message response = query.CreateResponse();
        response.Status = status;
        return response.ToByteArray();
    }
}
