using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Backbone.Overlay.Membership.Protocol;

namespace Backbone.Overlay.Membership;

/// <summary>
/// A SWIM-style failure detector on one UDP and one TCP socket sharing a port (7946 by default):
/// it probes the members it is given (<see cref="SetMembers"/>), reports their state changes
/// (<see cref="MemberStateChanged"/>) and answers their probes. README.md describes the protocol.
/// </summary>
/// <remarks>
/// Three loops run until <see cref="DisposeAsync"/>: the UDP receiver and the TCP acceptor only
/// queue what arrives; the protocol loop owns <see cref="DetectorCore"/>, handles the queue, the
/// deadlines and the sends, and raises <see cref="MemberStateChanged"/>. So the state machine is
/// single-threaded and the events are in order. The protocol loop and the UDP receiver each have
/// a thread of their own rather than the thread pool: a failure detector must keep time when the
/// process is busy, and a starved pool (seen in the tests: 750 ms with two CPU-bound tests on two
/// cores) would leave acks unread while rounds run out. Only the TCP fallback uses the pool.
/// </remarks>
public sealed partial class FailureDetector : IAsyncDisposable
{
    /// <summary>Received messages handled before the loop looks at its deadlines again, so a flood cannot starve probing.</summary>
    private const int MaxBatch = 256;

    private readonly MembershipOptions options;
    private readonly TimeProvider time;
    private readonly Action<string> note;
    private readonly DetectorCore core;
    private readonly Socket udp;
    private readonly Socket listener;

    /// <summary>Bounded: a datagram that finds it full is dropped and counted; the protocol loop is its only reader.</summary>
    private readonly BlockingCollection<Inbound> inbound;

    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim tcpConnectionSlots;
    private readonly SemaphoreSlim tcpProbeSlots;

    /// <summary>TCP connections being served and TCP probes in flight, awaited by <see cref="DisposeAsync"/>.</summary>
    private readonly ConcurrentDictionary<Task, byte> inFlight = new();

    private readonly Task protocolLoop;
    private readonly Task udpLoop;
    private readonly Task tcpLoop;

    /// <summary>The latest member list from <see cref="SetMembers"/>, until the protocol loop takes it (only the latest matters).</summary>
    private IReadOnlyCollection<MemberAddress>? pendingMembers;

    private volatile IReadOnlyList<MemberStatus> snapshot = [];
    private volatile Func<IPEndPoint, ProbeChannel, bool>? dropLink;
    private int disposed;

    private FailureDetector(MembershipOptions options, TimeProvider time, Action<string> note, Socket udp, Socket listener)
    {
        this.options = options;
        this.time = time;
        this.note = note;
        this.udp = udp;
        this.listener = listener;
        LocalEndPoint = (IPEndPoint)udp.LocalEndPoint!;
        var random = new Random(options.RandomSeed ?? RandomNumberGenerator.GetInt32(int.MaxValue));
        ulong firstNonce = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(sizeof(ulong)));
        core = new DetectorCore(options, time, random, firstNonce, Counters);
        inbound = new BlockingCollection<Inbound>(options.InboundQueue);
        tcpConnectionSlots = new SemaphoreSlim(options.MaxTcpConnections, options.MaxTcpConnections);
        tcpProbeSlots = new SemaphoreSlim(options.MaxTcpProbes, Math.Max(1, options.MaxTcpProbes));
        protocolLoop = RunOnOwnThread($"membership {options.NodeId}", RunProtocol);
        udpLoop = RunOnOwnThread($"membership udp {options.NodeId}", RunUdpReceive);
        tcpLoop = Task.Run(RunTcpAcceptAsync);
    }

    /// <summary>
    /// State changes in this detector's view, raised in order on the protocol loop. Handlers must
    /// be quick and must not block (hand the change to a queue): probing waits while they run.
    /// An exception from a handler is counted (<see cref="MembershipCounter.HandlerErrors"/>) and noted.
    /// A handler must not dispose the detector: disposal waits for the loop the handler runs on.
    /// </summary>
    public event EventHandler<MemberStateChange>? MemberStateChanged;

    /// <summary>Where both sockets are bound (the actual port when the options asked for 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    public string NodeId => options.NodeId;

    public MembershipCounters Counters { get; } = new();

    /// <summary>
    /// A fault-injection seam for tests: returns true to drop a message to or from that remote end
    /// on that channel (UDP sends and receives; TCP probes before connecting, accepted TCP
    /// connections before reading). For accepted connections the remote end has the peer's
    /// ephemeral port, so match on the address.
    /// </summary>
    internal Func<IPEndPoint, ProbeChannel, bool>? DropLink
    {
        get => dropLink;
        set => dropLink = value;
    }

    /// <summary>
    /// Binds UDP and TCP on <see cref="MembershipOptions.BindAddress"/> and
    /// <see cref="MembershipOptions.Port"/> and starts the loops. Throws
    /// <see cref="ArgumentException"/> for invalid options and <see cref="SocketException"/> when
    /// the port cannot be bound.
    /// </summary>
    /// <param name="time">
    /// The clock the protocol's deadlines and the TCP timeouts are read from (the system's when
    /// null). The protocol loop waits for those deadlines in real time, so a fake clock is for the
    /// core's tests (<see cref="DetectorCore"/>), not for this class.
    /// </param>
    /// <param name="note">Told about unexpected errors (socket failures, a handler's exception); never about per-packet events.</param>
    public static FailureDetector Start(MembershipOptions options, TimeProvider? time = null, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (Socket udp, Socket listener) = Bind(options);
        return new FailureDetector(options, time ?? TimeProvider.System, note ?? (_ => { }), udp, listener);
    }

    /// <summary>
    /// Replaces the member list; callable from any thread at any time, applied by the protocol loop
    /// moments later (only the latest list counts). This node's own id in it is skipped. Throws
    /// <see cref="ArgumentException"/> at once for an invalid id or endpoint or an id given twice.
    /// </summary>
    public void SetMembers(IReadOnlyCollection<MemberAddress> members)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        DetectorCore.CheckMembers(options.NodeId, members);
        Volatile.Write(ref pendingMembers, members.ToArray());
        TryEnqueue(Inbound.Wake); // if the queue is full the loop is busy and takes the list on its next turn anyway
    }

    /// <summary>Every member's state as of the protocol loop's last change, ordered by node id.</summary>
    public IReadOnlyList<MemberStatus> Snapshot() => snapshot;

    /// <summary>Stops the loops, closes both sockets and waits for the TCP work in flight; no event is raised after it returns.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync();
        inbound.CompleteAdding();
        udp.Dispose(); // interrupts the receiver's blocking receive
        listener.Dispose();
        await WaitQuietlyAsync(Task.WhenAll(protocolLoop, udpLoop, tcpLoop));
        await WaitQuietlyAsync(Task.WhenAll(inFlight.Keys));
        stopping.Dispose();
        tcpConnectionSlots.Dispose();
        tcpProbeSlots.Dispose();
        inbound.Dispose();
    }

    /// <summary>Runs <paramref name="loop"/> on a background thread of its own; the task completes when it returns.</summary>
    private static Task RunOnOwnThread(string name, Action loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Queues for the protocol loop without waiting; false when the queue is full or shut.</summary>
    private bool TryEnqueue(Inbound item)
    {
        try
        {
            return inbound.TryAdd(item);
        }
        catch (InvalidOperationException)
        {
            return false; // completed by DisposeAsync
        }
    }

    private async Task WaitQuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e)
        {
            note($"membership: a loop ended with an error during shutdown: {e.Message}");
        }
    }

    /// <summary>Remembers a task until it ends, so shutdown can wait for it.</summary>
    private void Track(Task task)
    {
        inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private bool Dropped(IPEndPoint remote, ProbeChannel channel)
    {
        if (dropLink?.Invoke(remote, channel) != true)
        {
            return false;
        }

        Counters.Increment(MembershipCounter.DroppedByFault);
        return true;
    }
}
