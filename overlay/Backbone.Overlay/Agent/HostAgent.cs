using Backbone.Control;
using Backbone.Control.Containers;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;
using Backbone.Overlay.Reconcile;
using Backbone.Overlay.Runtime;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Overlay.Agent;

/// <summary>
/// The agent of one host: reads the tasks assigned to this node and the networks and services
/// they use (at one revision), builds the host they describe, and makes the kernel match it
/// (<see cref="Reconciler"/>), then runs their processes and reports endpoints and task
/// statuses under the node's lease. It reads again whenever the store reports a change under
/// <c>/bb/</c>, and every <see cref="AgentSettings.ResyncInterval"/> in any case. It keeps no
/// state that the kernel and the store do not also hold, so a restarted agent converges: it
/// stops whatever processes its predecessor left in its containers and starts them afresh.
/// </summary>
public sealed class HostAgent
{
    private readonly IKeyValue kv;
    private readonly IChangeFeed? feed;
    private readonly IHost host;
    private readonly AgentSettings settings;
    private readonly Func<long> lease;
    private readonly Action<string> note;
    private readonly TaskSupervisor supervisor;
    private readonly RecordPublisher publisher;

    /// <summary>Completed by a change (or a task's status change): renewed before each round, so a wake during a round is not lost.</summary>
    private volatile TaskCompletionSource due = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider time;

    /// <summary>
    /// The store revision up to which every change is known to this agent: what its last round
    /// read, and the agent's own writes right after it. A change notice at or below it (the echo
    /// of its own publication) wakes no round.
    /// </summary>
    private long seenThrough;

    /// <summary>
    /// Told which containers exist as wanted (namespace → network ids) so that per-container
    /// services (the DNS listener at 127.0.0.11) follow them; called before containers are removed
    /// (without them: an open socket would keep a removed namespace alive) and after new ones are built.
    /// </summary>
    private readonly Func<IReadOnlyDictionary<string, IReadOnlyList<string>>, Task>? containerServices;

    public HostAgent(IKeyValue kv, IChangeFeed? feed, IHost host, AgentSettings settings, Func<long> lease, TimeProvider time, Action<string> note,
        Func<IReadOnlyDictionary<string, IReadOnlyList<string>>, Task>? containerServices = null)
    {
        this.containerServices = containerServices;
        this.kv = kv;
        this.feed = feed;
        this.host = host;
        this.settings = settings;
        this.lease = lease;
        this.time = time;
        this.note = note;
        supervisor = new TaskSupervisor(settings.LogDirectory, Wake, time);
        publisher = new RecordPublisher(kv);
    }

    /// <summary>Rounds completed, for tests that wait for the agent to settle.</summary>
    public long Rounds { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        if (OwnSession.Setsid is null)
        {
            note($"agent: no setsid (util-linux) on PATH ({Environment.GetEnvironmentVariable("PATH") ?? "unset: the default directories"}): tasks will share the node's session, "
                + "so Ctrl-C on the node's terminal reaches them at once and they share its CPU share; install util-linux or put setsid on PATH");
        }

        try
        {
            KillLeftoverProcesses();
        }
        catch (Exception e)
        {
            note($"agent: could not stop what a previous agent left running: {e.Message}");
        }

        if (feed is not null)
        {
            // A change this agent's last read did not see wakes it; so does the watch (re)opening,
            // as changes made while none was open are unknown.
            _ = ChangeFollower.FollowAsync(feed, "/bb/", revision => { if (revision is not long seen || seen > Volatile.Read(ref seenThrough)) { Wake(); } },
                e => note($"agent: change feed: {e.Message} (reading every {settings.ResyncInterval.TotalSeconds:0} s meanwhile; following again in 1 s)"), time, stopping);
        }

        bool adopted = false;
        TimeSpan retry = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!adopted)
                {
                    await AdoptPublishedAsync(stopping).ConfigureAwait(false);
                    adopted = true;
                }

                due = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await ReconcileOnceAsync(stopping).ConfigureAwait(false);
                retry = TimeSpan.FromSeconds(1);
                await WaitAsync(settings.ResyncInterval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                note($"agent: {e.Message} (trying again in {retry.TotalSeconds:0} s)");
                try
                {
                    await Task.Delay(retry, time, stopping).ConfigureAwait(false); // the delay alone: a wake-up must not turn failures into a tight loop
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }

        // The node stops: its tasks stop with it (they run again when it comes back; the
        // containers stay, to be reused), and what it reported goes now, not when its lease
        // runs out, so no one is sent to a stopped task meanwhile.
        try
        {
            await supervisor.StopAllAsync().ConfigureAwait(false);
            using var withdraw = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            long leaseId = lease();
            if (leaseId != 0)
            {
                await publisher.PublishAsync(new Dictionary<string, byte[]>(), leaseId, withdraw.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            note($"agent: stopping: {e.Message}");
        }
    }

    /// <summary>
    /// Removes everything the agent made on this host: processes, containers, sandboxes (`swarm
    /// leave`). Call after <see cref="RunAsync"/> has returned.
    /// </summary>
    public async Task RemoveAllAsync()
    {
        await supervisor.StopAllAsync().ConfigureAwait(false);
        await SyncContainerServicesAsync(new DesiredHost(HostState.Empty, []), []).ConfigureAwait(false);
        Converge(HostState.Empty);
    }

    /// <summary>One round: read, reconcile the kernel, run processes, publish.</summary>
    public async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        TxnRequest read = ControlKeys.ReadPrefixes(ControlKeys.TasksPrefix, ControlKeys.NetworksPrefix, ControlKeys.ServicesPrefix, ControlKeys.ContainersPrefix, ControlKeys.EndpointsPrefix, ControlKeys.ReachPrefix);

        TxnResponse state = await kv.TxnAsync(read, cancellationToken).ConfigureAwait(false);
        List<TaskRecord> tasks = [.. state.Responses[0].ResponseRange.Kvs.Select(k => TaskRecord.Deserialize(k.Value.Memory))];
        Dictionary<string, NetworkRecord> networks = state.Responses[1].ResponseRange.Kvs.Select(k => NetworkRecord.Deserialize(k.Value.Memory)).ToDictionary(n => n.Id, StringComparer.Ordinal);
        Dictionary<string, ServiceRecord> services = state.Responses[2].ResponseRange.Kvs.Select(k => ServiceRecord.Deserialize(k.Value.Memory)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        List<ContainerRecord> standalone = [.. state.Responses[3].ResponseRange.Kvs.Select(k => ContainerRecord.Deserialize(k.Value.Memory))];
        List<EndpointRecord> endpoints = [.. state.Responses[4].ResponseRange.Kvs.Select(k => EndpointRecord.Deserialize(k.Value.Memory))];
        DataPlane? dataPlane = settings.DataPathPort == 0 || settings.NodeAddress.Length == 0 ? null : new DataPlane(settings.NodeAddress, settings.DataPathPort);
        IReadOnlySet<string> down = DownNodes.From(state.Responses[5].ResponseRange.Kvs.Select(k => ReachRecord.Deserialize(k.Value.Memory)));
        DesiredHost desired = DesiredHost.Build(settings.NodeId, settings.Prefix, tasks, standalone, networks, services, endpoints, dataPlane, down);

        // Processes first (a container is removed only once nothing runs in it, and a wanted
        // one that must be remade is stopped with its grace period, not killed), then the
        // kernel, then the processes of the containers that are now as wanted.
        await supervisor.StopUnwantedAsync(desired.Workloads).ConfigureAwait(false);
        HostState observed = host.Observe(settings.Prefix);
        IReadOnlyList<HostAction> actions = Reconciler.Diff(desired.State, observed);
        HashSet<string> remade = [.. actions.OfType<HostAction.DeleteContainer>().Select(a => a.Container.Namespace)];
        await supervisor.StopAsync([.. desired.Workloads.Where(w => remade.Contains(w.Container.Namespace)).Select(w => w.Id)]).ConfigureAwait(false);
        await SyncContainerServicesAsync(desired, [.. observed.Containers.Where(c => !remade.Contains(c.Namespace)).Select(c => c.Namespace)]).ConfigureAwait(false);
        Apply(actions);
        host.SweepOrphans(settings.Prefix);

        // Containers as they are now: observed again only when some were made or removed (a
        // round that only changes peers, as most rounds after a remote change do, skips it).
        bool containersChanged = actions.Any(a => a is HostAction.CreateContainer or HostAction.DeleteContainer or HostAction.DeleteSandbox);
        HashSet<ContainerSpec> built = [.. containersChanged ? host.Observe(settings.Prefix).Containers : observed.Containers];
        List<Workload> ready = [.. desired.Workloads.Where(w => built.Contains(desired.State.Containers.First(c => c.Namespace == w.Container.Namespace)))];
        await SyncContainerServicesAsync(desired, [.. ready.Select(w => w.Container.Namespace)]).ConfigureAwait(false);
        supervisor.StartMissing(ready);
        if (Rounds == 0)
        {
            TaskLog.DeleteAllBut(settings.LogDirectory, desired.Workloads.Select(w => w.Id).ToHashSet(StringComparer.Ordinal)); // of tasks removed while no agent ran
        }

        await PublishAsync(desired, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref seenThrough, SeenThrough(state.Header.Revision, publisher.LastWrites));
        Rounds++;
    }

    /// <summary>
    /// <paramref name="read"/>, or the last of <paramref name="writes"/> when they follow it with
    /// no revision between (no one else wrote between the round's read and its writes).
    /// </summary>
    internal static long SeenThrough(long read, IReadOnlyList<long> writes)
    {
        for (int i = 0; i < writes.Count; i++)
        {
            if (writes[i] != read + i + 1)
            {
                return read;
            }
        }

        return read + writes.Count;
    }

    /// <summary>Tells the per-container services which of the desired containers to serve now (those in <paramref name="serve"/>).</summary>
    private async Task SyncContainerServicesAsync(DesiredHost desired, IReadOnlyCollection<string> namespaces)
    {
        if (containerServices is null)
        {
            return;
        }

        var serve = new HashSet<string>(namespaces, StringComparer.Ordinal);
        try
        {
            await containerServices(desired.Workloads.Where(w => serve.Contains(w.Container.Namespace))
                .ToDictionary(w => w.Container.Namespace, w => (IReadOnlyList<string>)[.. w.Networks.Select(n => n.NetworkId)], StringComparer.Ordinal)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            note($"agent: container services: {e.Message}");
        }
    }

    /// <summary>Each action on its own: one that fails (noted, tried again next round) does not keep the others from being done.</summary>
    private void Apply(IReadOnlyList<HostAction> actions)
    {
        foreach (HostAction action in actions)
        {
            try
            {
                host.Apply(action);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                note($"agent: {Describe(action)}: {e.Message} (tried again next round)");
            }
        }
    }

    private static string Describe(HostAction action) => action switch
    {
        HostAction.CreateSandbox a => $"creating sandbox {a.Sandbox.Namespace}",
        HostAction.DeleteSandbox a => $"removing sandbox {a.Namespace}",
        HostAction.CreateContainer a => $"creating container {a.Container.Namespace}",
        HostAction.DeleteContainer a => $"removing container {a.Container.Namespace}",
        HostAction.CreateTunnel a => $"creating vxlan VNI {a.Tunnel.Vni} in {a.Tunnel.Sandbox}",
        HostAction.DeleteTunnel a => $"removing the vxlan of {a.Sandbox}",
        HostAction.UpdatePeers a => $"updating the peers of {a.Sandbox} ({a.Removed.Count} going, {a.Added.Count} coming)",
        _ => action.ToString(),
    };

    private void Converge(HostState desired)
    {
        Apply(Reconciler.Diff(desired, host.Observe(settings.Prefix)));
        host.SweepOrphans(settings.Prefix);
    }

    private async Task PublishAsync(DesiredHost desired, CancellationToken cancellationToken)
    {
        long leaseId = lease();
        if (leaseId == 0)
        {
            return; // not registered yet: records without the node's lease would outlive the node
        }

        IReadOnlyDictionary<string, Runtime.TaskStatus> statuses = supervisor.Statuses();
        var wanted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (Workload workload in desired.Workloads)
        {
            if (!statuses.TryGetValue(workload.Id, out Runtime.TaskStatus? status))
            {
                continue;
            }

            // Keyed by task, not slot: a node that comes back after its slot moved deletes its own record, never the new node's.
            string statusKey = workload.IsTask ? ControlKeys.TaskStatus(workload.ServiceId, workload.Id) : ControlKeys.ContainerStatus(workload.Id);
            wanted[statusKey] = new TaskStatusRecord
            {
                TaskId = workload.Id,
                NodeId = settings.NodeId,
                State = status.State,
                ExitCode = status.ExitCode,
                Restarts = status.Restarts,
                Pid = status.Pid,
                Message = status.Message,
                SinceUnixMs = status.Since.ToUnixTimeMilliseconds(),
            }.Serialize();
            foreach (TaskAttachment attachment in workload.Networks)
            {
                wanted[ControlKeys.Endpoints(attachment.NetworkId) + workload.Id] = new EndpointRecord
                {
                    Id = workload.Id,
                    Name = workload.Name,
                    NetworkId = attachment.NetworkId,
                    ServiceId = workload.ServiceId,
                    ServiceName = workload.ServiceName,
                    Slot = workload.Slot,
                    Aliases = attachment.Aliases,
                    Address = attachment.Address,
                    Mac = HostNames.MacFor(attachment.Address),
                    NodeId = settings.NodeId,
                    NodeAddress = settings.NodeAddress,
                    Running = status.IsRunning,
                }.Serialize();
            }
        }

        await publisher.PublishAsync(wanted, leaseId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records this node published before a restart: deleted unless still wanted (their lease may outlive the restart).</summary>
    private async Task AdoptPublishedAsync(CancellationToken cancellationToken)
    {
        foreach (string prefix in new[] { ControlKeys.EndpointsPrefix, ControlKeys.TaskStatusPrefix, ControlKeys.ContainerStatusPrefix })
        {
            RangeResponse found = await kv.RangeAsync(ControlKeys.PrefixRange(prefix), cancellationToken).ConfigureAwait(false);
            foreach (Mvccpb.KeyValue record in found.Kvs)
            {
                string nodeId = prefix == ControlKeys.EndpointsPrefix ? EndpointRecord.Deserialize(record.Value.Memory).NodeId : TaskStatusRecord.Deserialize(record.Value.Memory).NodeId;
                if (nodeId == settings.NodeId)
                {
                    publisher.Adopt(record.Key.ToStringUtf8());
                }
            }
        }
    }

    /// <summary>A killed agent's children outlive it, unsupervised: stop them so each task runs once, under this agent.</summary>
    private void KillLeftoverProcesses()
    {
        foreach (ContainerSpec container in host.Observe(settings.Prefix).Containers)
        {
            int killed = NamespaceProcesses.KillAll(container.Namespace);
            if (killed > 0)
            {
                note($"agent: stopped {killed} process(es) a previous agent left in {container.Namespace}; its task starts again");
            }
        }
    }

    private void Wake() => due.TrySetResult();

    private async Task WaitAsync(TimeSpan timeout, CancellationToken stopping)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        await Task.WhenAny(due.Task, Task.Delay(timeout, time, done.Token)).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false); // the loop checks `stopping` itself
    }
}
