using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 7 (balance): successive answers start at successive addresses; the set never changes.</summary>
public sealed class RotationTests
{
    private static readonly ServiceRecord Cache = Service("cache", "dnsrr", [On("front"), On("back")], [Port("redis", 6379)]);
    private static readonly string[] FrontAddresses = ["10.0.1.20", "10.0.1.21", "10.0.1.22", "10.0.1.23"];

    private static NameTable NewTable() => Fixtures.Table(
        [Network("front"), Network("back")],
        [Cache],
        [
            Task(Cache, 1, "front", FrontAddresses[0]),
            Task(Cache, 2, "front", FrontAddresses[1]),
            Task(Cache, 3, "front", FrontAddresses[2]),
            Task(Cache, 4, "front", FrontAddresses[3]),
            Task(Cache, 1, "back", "10.0.2.20"),
            Task(Cache, 2, "back", "10.0.2.21"),
        ]);

    [Theory]
    [InlineData("cache", RecordType.A)]
    [InlineData("tasks.cache", RecordType.A)]
    [InlineData("cache.front", RecordType.Any)]
    [InlineData("_redis._tcp.cache", RecordType.Srv)]
    public void EveryRecordComesFirstInTurn(string name, RecordType type)
    {
        NameTable table = NewTable();
        Lookup first = table.Resolve(name, type, Scope("front"));
        string[] set = Data(first);
        Assert.Equal(4, set.Length);

        HashSet<string> firsts = [];
        for (int call = 0; call < set.Length * 3; call++)
        {
            Lookup lookup = table.Resolve(name, type, Scope("front"));
            Assert.Equal(set, Data(lookup));
            firsts.Add(lookup.Answers[0].Data);
        }

        Assert.Equal(set, firsts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SuccessiveCallsStartAtTheNextRecord()
    {
        NameTable table = NewTable();
        IReadOnlyList<DnsRecord> previous = table.Resolve("cache", RecordType.A, Scope("front")).Answers;
        for (int call = 0; call < 8; call++)
        {
            IReadOnlyList<DnsRecord> next = table.Resolve("cache", RecordType.A, Scope("front")).Answers;
            Assert.Equal(previous[1], next[0]);
            Assert.Equal(previous[0], next[^1]);
            previous = next;
        }
    }

    [Fact]
    public void AnswersMergedFromSeveralNetworksRotateToo()
    {
        NameTable table = NewTable();
        NameScope both = Scope("front", "back");
        string[] all = [.. FrontAddresses, "10.0.2.20", "10.0.2.21"];
        HashSet<string> firsts = [];
        for (int call = 0; call < all.Length * 2; call++)
        {
            Lookup lookup = table.Resolve("cache", RecordType.A, both);
            Assert.Equal(all.Order(StringComparer.Ordinal), Data(lookup));
            firsts.Add(lookup.Answers[0].Data);
        }

        Assert.Equal(all.Length, firsts.Count);
    }

    [Fact]
    public void ConcurrentCallersAlwaysGetTheWholeSetAndShareTheTurns()
    {
        NameTable table = NewTable();
        const int Threads = 4;
        const int CallsPerThread = 2_000;
        int[] firstCounts = new int[FrontAddresses.Length];
        Thread[] threads = new Thread[Threads];
        Exception?[] failures = new Exception?[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    for (int call = 0; call < CallsPerThread; call++)
                    {
                        Lookup lookup = table.Resolve("tasks.cache", RecordType.A, Scope("front"));
                        Assert.Equal(FrontAddresses, Data(lookup));
                        Interlocked.Increment(ref firstCounts[Array.IndexOf(FrontAddresses, lookup.Answers[0].Data)]);
                    }
                }
                catch (Exception e)
                {
                    failures[index] = e;
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(failures, Assert.Null);

        // One shared atomic counter: each rotation is handed out exactly as often as the others.
        Assert.All(firstCounts, count => Assert.Equal(Threads * CallsPerThread / FrontAddresses.Length, count));
    }

    [Fact]
    public void ASingleAddressAnswerIsSharedAndAllocatesNothing()
    {
        NameTable table = Fixtures.Table([Network("front")], [], [Container("db", "front", "10.0.1.10")]);
        NameScope scope = Scope("front");
        NameTable many = NewTable();

        Lookup warm = table.Resolve("DB", RecordType.A, scope);
        many.Resolve("cache", RecordType.A, scope);
        Assert.Same(warm, table.Resolve("db.", RecordType.A, scope));

        // The fewest bytes of three rounds of 1,000 calls: the runtime itself may allocate on this
        // thread while it recompiles the loop (tiering, seen once in CI: 120 bytes), but an
        // allocation per call would show in every round (at least 24,000 bytes).
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int call = 0; call < 1_000; call++)
            {
                table.Resolve("DB", RecordType.A, scope);
                many.Resolve("cache", RecordType.A, scope);
                many.Resolve("cache", RecordType.Aaaa, scope);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }
}
