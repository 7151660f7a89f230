using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Backbone.Overlay.Membership;

namespace Backbone.Overlay.Tests.Membership;

/// <summary>
/// Real <see cref="FailureDetector"/>s on loopback, each on its own address (127.0.&lt;net&gt;.1, .2, …)
/// and a free port, all given the whole member list. Node i's id is n&lt;i+1&gt;. Their events are kept
/// across restarts, with the time they were seen.
/// </summary>
internal sealed class LiveCluster : IAsyncDisposable
{
    private readonly Func<int, MembershipOptions, MembershipOptions> configure;
    private readonly FailureDetector?[] detectors;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    private LiveCluster(int net, int size, Func<int, MembershipOptions, MembershipOptions>? configure)
    {
        this.configure = configure ?? ((_, o) => o);
        detectors = new FailureDetector?[size];
        Addresses = new MemberAddress[size];
        Changes = Enumerable.Range(0, size).Select(_ => new ConcurrentQueue<(TimeSpan, MemberStateChange)>()).ToArray();
        for (int i = 0; i < size; i++)
        {
            detectors[i] = Launch(i, new IPEndPoint(IPAddress.Parse($"127.0.{net}.{i + 1}"), 0));
            Addresses[i] = new MemberAddress(Id(i), detectors[i]!.LocalEndPoint);
        }

        foreach (FailureDetector? detector in detectors)
        {
            detector!.SetMembers(Addresses);
        }
    }

    public MemberAddress[] Addresses { get; }

    /// <summary>What each node saw, with when (since the cluster started).</summary>
    public ConcurrentQueue<(TimeSpan At, MemberStateChange Change)>[] Changes { get; }

    public TimeSpan Elapsed => clock.Elapsed;

    public FailureDetector this[int i] => detectors[i] ?? throw new InvalidOperationException($"{Id(i)} is stopped");

    public static LiveCluster Start(int net, int size, Func<int, MembershipOptions, MembershipOptions>? configure = null) => new(net, size, configure);

    public static string Id(int i) => $"n{i + 1}";

    public MemberState? StateOf(int observer, int subject) =>
        this[observer].Snapshot().FirstOrDefault(s => s.NodeId == Id(subject))?.State;

    public IEnumerable<MemberStateChange> ChangesOf(int observer, int subject) =>
        Changes[observer].Select(c => c.Change).Where(c => c.NodeId == Id(subject));

    public async Task StopAsync(int i)
    {
        FailureDetector detector = this[i];
        detectors[i] = null;
        await detector.DisposeAsync();
    }

    /// <summary>Starts node i again on the same address and port, as a restarted agent would.</summary>
    public void Restart(int i)
    {
        detectors[i] = Launch(i, Addresses[i].EndPoint);
        detectors[i]!.SetMembers(Addresses);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with <paramref name="explain"/> after <paramref name="within"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, TimeSpan within, Func<string> explain)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > within)
            {
                Assert.Fail($"not within {within}: {explain()}");
            }

            await Task.Delay(20);
        }
    }

    public string Describe() => string.Join("; ", Enumerable.Range(0, detectors.Length).Select(i => detectors[i] is { } d
        ? $"{Id(i)} sees {string.Join(",", d.Snapshot().Select(s => $"{s.NodeId}={s.State}"))} [{d.Counters}]"
        : $"{Id(i)} stopped"));

    public async ValueTask DisposeAsync()
    {
        foreach (FailureDetector? detector in detectors)
        {
            if (detector is not null)
            {
                await detector.DisposeAsync();
            }
        }
    }

    private FailureDetector Launch(int i, IPEndPoint at)
    {
        MembershipOptions options = configure(i, new MembershipOptions
        {
            NodeId = Id(i), Key = TestKeys.Cluster, BindAddress = at.Address, Port = at.Port, RandomSeed = i,
        });
        FailureDetector detector = FailureDetector.Start(options);
        ConcurrentQueue<(TimeSpan, MemberStateChange)> seen = Changes[i];
        detector.MemberStateChanged += (_, change) => seen.Enqueue((clock.Elapsed, change));
        return detector;
    }
}
