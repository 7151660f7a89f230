using System.Text;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Grpc.Net.Client;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A cluster of managers on loopback, each its own <c>backbone node</c> process: the first one
/// with <c>--init</c>, the others joined one at a time (a Raft membership change at a time).
/// Owns one temporary directory holding every member's data directory, and removes it with the
/// members' processes on dispose, whatever the test's outcome.
/// </summary>
public sealed partial class TestCluster : IAsyncDisposable
{
    /// <summary>Short elections keep the failover tests fast; the same on every member.</summary>
    public const int ElectionTimeoutMs = 300;

    private readonly List<ClusterMember> members = [];

    /// <summary>Worker nodes (<see cref="JoinWorkerAsync"/>): not Raft members, so not in <see cref="Members"/>.</summary>
    private readonly List<ClusterMember> workers = [];

    private readonly Dictionary<ClusterMember, GrpcChannel> channels = [];

    private TestCluster(string root)
    {
        Root = root;
    }

    /// <summary>The temporary directory holding every member's data directory.</summary>
    public string Root { get; }

    /// <summary>The manager join token the first member printed at --init.</summary>
    public string Token { get; private set; } = "";

    public IReadOnlyList<ClusterMember> Members => members;

    public ClusterMember this[int index] => members[index];

    /// <summary>Indexes of the members that can answer now (running, not paused).</summary>
    public IEnumerable<int> Serving => Enumerable.Range(0, members.Count).Where(i => members[i].IsServing);

    /// <summary>When set, every node runs its host agent with namespaces named <c>{agentPrefix}{node name}-</c>; otherwise agents are off.</summary>
    private string? agentPrefix;

    /// <summary>Flags every member starts with beyond the addresses (for example a small --snapshot-count).</summary>
    private IReadOnlyList<string> memberFlags = [];

    /// <summary>The tests' election timeout, unless the member flags name their own (every member gets the same).</summary>
    private string[] ElectionFlags => memberFlags.Contains("--election-timeout-ms") ? [] : ["--election-timeout-ms", $"{ElectionTimeoutMs}"];

    /// <summary>When set, every node's client port serves TLS with these certificates and requires client certificates of their CA.</summary>
    public TestCertificates? ClientTls { get; private set; }

    /// <summary>What new managers and workers run (<see cref="ClusterMember.Program"/>); null: the repository's <c>./backbone</c>.</summary>
    private string? program;

    /// <summary>
    /// Starts <paramref name="managers"/> managers (with client TLS when <paramref name="clientTls"/>
    /// is given; running <paramref name="program"/> instead of this tree's <c>./backbone</c> when
    /// given); on any failure, stops what it started.
    /// </summary>
    public static async Task<TestCluster> StartAsync(int managers, string prefix = "bbcluster", IReadOnlyList<string>? memberFlags = null,
        TestCertificates? clientTls = null, string? agentPrefix = null, string? program = null)
    {
        TestCluster cluster = new(Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}"));
        cluster.agentPrefix = agentPrefix;
        cluster.program = program;
        cluster.ClientTls = clientTls;
        cluster.memberFlags = [.. memberFlags ?? [], .. clientTls?.NodeFlags() ?? []];
        try
        {
            Directory.CreateDirectory(cluster.Root);
            ClusterMember first = cluster.NewMember();
            await first.StartAsync(
            [
                "--init", "--name", first.Name, "--data-dir", first.DataDir, "--listen-client", first.ClientEndpoint,
                "--listen-peer", first.PeerEndpoint, .. cluster.ElectionFlags, .. cluster.memberFlags,
            ]).ConfigureAwait(false);
            Match token = TokenPattern().Match(first.Output);
            cluster.Token = token.Success ? token.Value : throw new InvalidOperationException("--init printed no join token:\n" + first.Output);
            for (int i = 1; i < managers; i++)
            {
                await cluster.JoinAsync().ConfigureAwait(false);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts one more manager joining through <paramref name="via"/>'s client address (the first
    /// serving member when null) and returns it once it serves.
    /// </summary>
    public async Task<ClusterMember> JoinAsync(ClusterMember? via = null, string? token = null)
    {
        via ??= members.First(m => m.IsServing);
        ClusterMember joiner = NewMember();
        await joiner.StartAsync(
        [
            "--join", via.JoinAddress, "--token", token ?? Token, "--name", joiner.Name, "--data-dir", joiner.DataDir,
            "--listen-client", joiner.ClientEndpoint, "--listen-peer", joiner.PeerEndpoint, .. ElectionFlags, .. memberFlags,
        ]).ConfigureAwait(false);
        return joiner;
    }

    public IReadOnlyList<ClusterMember> Workers => workers;

    /// <summary>
    /// Starts a worker node joining through <paramref name="via"/>'s client address (the first
    /// serving manager when null) with <paramref name="token"/> (a worker token), as an operator
    /// would: a name, a data directory and a client address, nothing about Raft. Returns it once
    /// it serves; it is stopped with the cluster.
    /// </summary>
    public async Task<ClusterMember> JoinWorkerAsync(string token, ClusterMember? via = null)
    {
        via ??= members.First(m => m.IsServing);
        ClusterMember worker = NewNode($"w{workers.Count + 1}");
        workers.Add(worker);
        await worker.StartWorkerAsync(
        [
            "--join", via.JoinAddress, "--token", token, "--name", worker.Name, "--data-dir", worker.DataDir, "--listen-client", worker.ClientEndpoint,
            "--listen-peer", worker.PeerEndpoint, .. ElectionFlags, // its Raft endpoint, should it be promoted
            .. ClientTls?.NodeFlags() ?? [],
        ]).ConfigureAwait(false);
        return worker;
    }

    /// <summary>One HTTP/2 channel per member for the test's life; it reconnects after a restart.</summary>
    public GrpcChannel Channel(int index)
    {
        ClusterMember member = members[index];
        lock (channels)
        {
            if (!channels.TryGetValue(member, out GrpcChannel? channel))
            {
                channel = GrpcChannel.ForAddress(member.ClientUrl, new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = null,
                    HttpHandler = ClientTls?.Handler(), // null: grpc-dotnet's own (cleartext)
                    DisposeHttpClient = true,
                });
                channels[member] = channel;
            }

            return channel;
        }
    }

    public KV.KVClient Kv(int index) => new(Channel(index));

    public Maintenance.MaintenanceClient Maintenance(int index) => new(Channel(index));

    public Etcdserverpb.Cluster.ClusterClient ClusterApi(int index) => new(Channel(index));

    /// <summary>The index of the member with this Raft member id, or -1.</summary>
    public int IndexOf(ulong memberId) => members.FindIndex(m => m.MemberId == memberId);

    /// <summary>SIGKILLs every running member at once (signals first, then waits), as a power cut.</summary>
    public void KillAll()
    {
        foreach (ClusterMember member in members)
        {
            member.SendKill();
        }

        foreach (ClusterMember member in members)
        {
            member.WaitForKilled();
        }
    }

    /// <summary>Restarts every stopped member concurrently: after a full stop none can elect a leader alone.</summary>
    public Task RestartStoppedAsync() =>
        Task.WhenAll(members.Where(m => m.State == ClusterMember.RunState.Stopped).Select(m => m.RestartAsync()));

    /// <summary>Every member's output tail, for assertion messages.</summary>
    public string Logs(int linesPerMember = 25)
    {
        StringBuilder logs = new();
        foreach (ClusterMember member in members.Concat(workers))
        {
            logs.Append("===== ").Append(member.Name).Append(" (").Append(member.ClientEndpoint).Append(", ")
                .Append(member.State).Append(") =====\n").Append(member.Tail(linesPerMember)).Append('\n');
        }

        return logs.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ClusterMember member in workers.Concat(members))
        {
            await member.DisposeAsync().ConfigureAwait(false);
        }

        lock (channels)
        {
            foreach (GrpcChannel channel in channels.Values)
            {
                channel.Dispose();
            }

            channels.Clear();
        }

        try
        {
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
            }
        }
        catch (IOException)
        {
            // best effort: a process that just died may still be releasing a file
        }
    }

    /// <summary>The namespace prefix of a node's agent (null when agents are off).</summary>
    public string? AgentPrefixOf(ClusterMember member) => agentPrefix is null ? null : $"{agentPrefix}{member.Name}-";

    private IReadOnlyList<string> AgentFlagsFor(string name) =>
        // Every member shares this one network namespace, where two VXLAN devices of one VNI on
        // one port cannot both exist, and one probe port serves one node: no tunnels, no probes
        // (the lab gives each host a namespace for those).
        [.. agentPrefix is null ? ["--no-agent"] : (string[])["--netns-prefix", $"{agentPrefix}{name}-", "--data-path-port", "0", "--probe-port", "0"], .. ClusterMember.DnsFlags];

    private ClusterMember NewMember()
    {
        ClusterMember member = NewNode($"n{members.Count + 1}");
        members.Add(member);
        return member;
    }

    /// <summary>A manager or worker of this cluster, not started: its own directory, this cluster's client TLS, agent flags and program.</summary>
    private ClusterMember NewNode(string name) =>
        new(name, Path.Combine(Root, name)) { ClientTls = ClientTls is not null, AgentFlags = AgentFlagsFor(name), Program = program ?? NodeProcess.Script() };

    [GeneratedRegex("BBTKN-1-[0-9a-f]{64}-[a-z0-9]{25}")]
    public static partial Regex TokenPattern();
}
