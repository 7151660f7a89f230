using Backbone.Control;
using Backbone.Control.Nodes;
using Backbone.Overlay.Agent;
using Backbone.Overlay.Kernel;
using Backbone.Overlay.Membership;
using Etcdserverpb;
using Backbone.Server.Cluster;
using Microsoft.Extensions.Hosting;

namespace Backbone.Server.Control;

/// <summary>
/// Starts the host agent beside a cluster member's other loops, when it can run: it needs root
/// (namespaces, links) and is off with --no-agent. When the node stops, the agent stops its
/// tasks; when it stops because it left the cluster, the agent also removes every namespace it
/// made.
/// </summary>
public static class AgentStart
{
    /// <summary>Where a node's agent keeps its tasks' output: <c>DATA-DIR/tasks/&lt;id&gt;.log</c>.</summary>
    public static string LogDirectoryIn(string dataDir) => Path.Combine(dataDir, "tasks");

    public static void Start(NodeOptions options, IKeyValue kv, IChangeFeed? feed, NodeRegistration registration, NodeRecord self, TimeProvider time,
        Action<string> note, IHostApplicationLifetime lifetime, Backbone.Dns.Server.DnsServer? dns = null)
    {
        if (!options.Agent)
        {
            note("agent: off (--no-agent): tasks scheduled on this node are not started");
            return;
        }

        if (!Environment.IsPrivilegedProcess)
        {
            note("agent: off: containers need network namespaces, which need root. Run the node as root to run tasks here, or pass --no-agent to say so");
            return;
        }

        var agent = new HostAgent(kv, feed, new KernelHost(CrashPoint.Parse(Environment.GetEnvironmentVariable(KernelHost.CrashAtStepVariable))), new AgentSettings
        {
            NodeId = self.Id,
            NodeAddress = self.Address,
            Prefix = options.NetnsPrefix,
            LogDirectory = LogDirectoryIn(options.DataDir),
            DataPathPort = options.DataPathPort,
            ResyncInterval = feed is null ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5), // without a feed, reading often is all it has
        }, () => registration.LeaseId, time, note, dns is null ? null : dns.SyncContainersAsync);
        Task running = agent.RunAsync(lifetime.ApplicationStopping);
        if (options.ProbePort != 0)
        {
            _ = ProbeAsync(options, kv, registration, self, time, note, lifetime.ApplicationStopping);
        }

        note($"agent: running tasks of node {self.Name} (namespaces {options.NetnsPrefix}*; "
            + (options.DataPathPort == 0 ? "no VXLAN tunnels: --data-path-port 0)" : $"VXLAN from {self.Address} to UDP {options.DataPathPort})"));

        // Shutdown waits for the tasks to stop (their grace period), so none outlives the node
        // unsupervised; after a leave, the agent then removes all it made (never while its loop
        // might still change the host).
        lifetime.ApplicationStopping.Register(() =>
        {
            bool finished;
            try
            {
                finished = running.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException e)
            {
                note($"agent: ended with {e.InnerException?.Message}");
                finished = true;
            }

            if (finished && LeftCluster.HasLeft(options.DataDir))
            {
                try
                {
                    agent.RemoveAllAsync().Wait(TimeSpan.FromSeconds(30));
                    note("agent: removed every container and sandbox of this node (it left the cluster)");
                }
                catch (AggregateException e)
                {
                    note($"agent: removing what this node made: {e.InnerException?.Message}; `ip netns list` shows what is left ({options.NetnsPrefix}*)");
                }
            }
        });
    }

    /// <summary>
    /// The failure detector on --probe-port (7946) and its reports: keyed with the cluster's
    /// worker secret (every member may know it), bound to the node's advertise address. A
    /// standalone node (no cluster secrets) or a port in use leaves it off, with a note.
    /// </summary>
    private static async Task ProbeAsync(NodeOptions options, IKeyValue kv, NodeRegistration registration, NodeRecord self, TimeProvider time,
        Action<string> note, CancellationToken stopping)
    {
        try
        {
            RangeResponse found = await kv.RangeAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFrom(ClusterSecrets.Key) }, stopping).ConfigureAwait(false);
            if (found.Kvs.Count == 0)
            {
                note("agent: no liveness probes (a standalone node: no cluster secret to key them with)");
                return;
            }

            ClusterSecrets secrets = MessagePack.MessagePackSerializer.Deserialize<ClusterSecrets>(found.Kvs[0].Value.Memory);
            FailureDetector detector = FailureDetector.Start(new MembershipOptions
            {
                NodeId = self.Id,
                Key = MembershipKey.Derive(secrets.WorkerSecret),
                BindAddress = System.Net.IPAddress.Parse(self.Address),
                Port = options.ProbePort,
            }, time, note);
            await using var reporter = new ReachReporter(kv, detector, options.ProbePort, () => registration.LeaseId, time, note);
            note($"agent: probing the other nodes from {detector.LocalEndPoint} (udp, tcp)");
            await reporter.RunAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException or FormatException)
        {
            note($"agent: no liveness probes on {self.Address}:{options.ProbePort}: {e.Message}. Give --probe-port another port (the same on every node), or 0 for none: a dead host's containers then leave DNS only when its lease runs out");
        }
    }
}
