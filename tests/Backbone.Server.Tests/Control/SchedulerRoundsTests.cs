using Backbone.Control;
using Backbone.Control.Scheduling;
using Backbone.Server.Tests.Support;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// When the scheduler reads the whole state: with a change feed, only after a change under what
/// it reads, on becoming the leader, or after a quiet <see cref="Scheduler.QuietRound"/>; never
/// every tick of an idle cluster. A real node's store and watch; the scheduler's clock is stepped.
/// </summary>
public sealed class SchedulerRoundsTests
{
    [Fact]
    public async Task AnIdleLeaderReadsOnlyAfterAChangeOrAQuietRound()
    {
        await using TestNode node = await TestNode.StartAsync();
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://{node.Endpoint}");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        List<string> notes = [];
        var scheduler = new Scheduler(new ClientKeyValue(channel.CreateCallInvoker()), () => true, clock, n => { lock (notes) { notes.Add(n); } },
            new ClientChangeFeed(channel.CreateCallInvoker()));
        using var stop = new CancellationTokenSource();
        Task running = scheduler.RunAsync(stop.Token);

        await TickAsync(scheduler, clock);
        Assert.Equal(1, scheduler.Rounds); // it has just become the leader

        long settled = await SettleAsync(scheduler, clock); // the watches opening may mark one more
        for (int i = 0; i < 5; i++)
        {
            await TickAsync(scheduler, clock);
        }

        Assert.Equal(settled, scheduler.Rounds); // nothing it reads changed

        // An address taken under /bb/ipam/ (keys only are read: any value will do). The watch may
        // still be starting, so the write is repeated until a round follows one.
        using var client = node.Client();
        for (int i = 0; scheduler.Rounds == settled; i++)
        {
            Assert.True(i < 100, "no round after 100 changes");
            await client.PutAsync($"/bb/ipam/net1/10.0.0.{i + 2}", "container:probe");
            await Task.Delay(50);
            await TickAsync(scheduler, clock);
        }

        // A late event of an earlier write may still make one more round; once a tick passes
        // without one, ticks bring none: the round's own read is not a change.
        long afterChange = await SettleAsync(scheduler, clock);
        await TickAsync(scheduler, clock);
        await TickAsync(scheduler, clock);
        Assert.Equal(afterChange, scheduler.Rounds);

        long ticks = 0;
        while (scheduler.Rounds == afterChange)
        {
            Assert.True(ticks++ <= Scheduler.QuietRound / Scheduler.Round + 1, "no quiet round");
            await TickAsync(scheduler, clock);
        }

        await stop.CancelAsync();
        await running;
        lock (notes)
        {
            Assert.Empty(notes); // no round failed
        }
    }

    /// <summary>Ticks until one tick passes without a round; returns the rounds run by then.</summary>
    private static async Task<long> SettleAsync(Scheduler scheduler, FakeTimeProvider clock)
    {
        for (int i = 0; ; i++)
        {
            Assert.True(i < 10, "rounds went on without changes");
            long rounds = scheduler.Rounds;
            await TickAsync(scheduler, clock);
            if (scheduler.Rounds == rounds)
            {
                return rounds;
            }
        }
    }

    /// <summary>
    /// Steps the clock until the scheduler has finished one more tick. A step made before its loop
    /// reached the next delay is lost (that delay starts from the new time), so it steps again, but
    /// only after waiting long enough in real time for a round's reads on a busy machine: stepping
    /// faster would carry the clock past <see cref="Scheduler.QuietRound"/> in a few ticks.
    /// </summary>
    private static async Task TickAsync(Scheduler scheduler, FakeTimeProvider clock)
    {
        long before = scheduler.Ticks;
        for (int step = 0; scheduler.Ticks == before; step++)
        {
            Assert.True(step < 20, "the scheduler's loop did not tick");
            clock.Advance(Scheduler.Round);
            for (int wait = 0; wait < 100 && scheduler.Ticks == before; wait++)
            {
                await Task.Delay(20);
            }
        }
    }
}
