using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Backbone.Core;
using Backbone.Server.Cluster;
using Backbone.Server.Control;
using Backbone.Server.Metrics;
using Backbone.Server.Services;
using Backbone.Server.Tls;
using Backbone.Store;
using Backbone.Store.Raft;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backbone.Server;

/// <summary>Options of one node process (the CLI's <c>backbone node</c> flags).</summary>
public sealed record NodeOptions
{
    public string? Name { get; init; }
    public required string DataDir { get; init; }
    public const string DefaultListenClient = "127.0.0.1:2379";

    /// <summary>HOST:PORT for the client API; null means the one kept in the data directory, else <see cref="DefaultListenClient"/>.</summary>
    public string? ListenClient { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Create a new cluster with this node as its first manager.</summary>
    public bool Init { get; init; }

    /// <summary>
    /// Recovery from a lost quorum: this manager's data becomes a new one-member cluster (same
    /// identity, CA and tokens); the other managers must not be started again, and new ones join.
    /// </summary>
    public bool ForceNewCluster { get; init; }

    /// <summary>Join the cluster of the manager at this client address (HOST:PORT).</summary>
    public string? Join { get; init; }

    public string? Token { get; init; }

    /// <summary>The IP other managers reach this node at (Raft).</summary>
    public string? AdvertiseAddr { get; init; }

    /// <summary>HOST:PORT to bind for Raft; its port is also the advertised peer port.</summary>
    public string? ListenPeer { get; init; }

    /// <summary>
    /// A standalone node's WAL skips fdatasync, as etcd's --unsafe-no-fsync: acknowledged writes
    /// can be lost on power loss (not on kill -9). For benchmarks, to measure what a write costs
    /// besides its sync; refused for cluster members, whose Raft log DotNext flushes anyway.
    /// </summary>
    public bool UnsafeNoFsync { get; init; }

    /// <summary>Commands between checkpoints (etcd's --snapshot-count): each one bounds replay and lets Raft truncate its log.</summary>
    public long SnapshotCount { get; init; } = new StoreOptions { DataDir = "." }.CheckpointEveryEntries;

    /// <summary>
    /// Lower Raft election timeout (ms), as etcd's --election-timeout but with the heartbeat tied
    /// to it (a fifth: 60 ms) and the upper bound at 1.5 times it. DotNext's pre-vote lets a
    /// follower stand only once the other followers have given up on the leader too, and a
    /// follower refused that way waits its whole timeout again: a dead leader is replaced after
    /// up to twice the upper bound. With 300-450 ms the write gap after a SIGKILL of the leader
    /// was under a second in 23 of 24 runs (0.45-1.03 s; with 500-1,000 ms, 0.8-1.8 s); no
    /// election without a failure was seen at 300 ms through the whole cluster benchmark on 2
    /// shared cores (docs/benchmarks.md, session 11).
    /// </summary>
    public const int DefaultElectionTimeoutMs = 300;

    /// <summary>Raft election timeouts (ms); tests shorten them.</summary>
    public int ElectionTimeoutMs { get; init; } = DefaultElectionTimeoutMs;

    /// <summary>Whether this node runs the tasks assigned to it (the host agent); off, it only stores and schedules.</summary>
    public bool Agent { get; init; } = true;

    /// <summary>The start of every namespace name the agent makes (<c>bb-</c>); give nodes sharing one host (a lab, tests) one each.</summary>
    public string NetnsPrefix { get; init; } = Backbone.Overlay.Reconcile.HostNames.DefaultPrefix;

    /// <summary>The agents' liveness probes (UDP and TCP, 7946); 0: none.</summary>
    public int ProbePort { get; init; } = Backbone.Overlay.Membership.MembershipOptions.DefaultPort;

    /// <summary>The VXLAN port between hosts (4789); 0: the agent makes no tunnels.</summary>
    public int DataPathPort { get; init; } = Backbone.Overlay.Agent.DataPlane.DefaultPort;

    /// <summary>The host listener of the DNS server (every network's names); null: none (containers are still served).</summary>
    public IPEndPoint? DnsAddress { get; init; } = new(IPAddress.Loopback, DefaultDnsPort);

    public const int DefaultDnsPort = 8600;

    /// <summary>Where names the DNS server does not know go; null: the host's /etc/resolv.conf.</summary>
    public IReadOnlyList<IPEndPoint>? DnsUpstreams { get; init; }

    /// <summary>TTL of the DNS server's answers (low, so clients do not cache dead tasks).</summary>
    public uint DnsTtlSeconds { get; init; } = 5;

    /// <summary>Where Prometheus scrapes <c>GET /metrics</c> over HTTP/1.1 (see <see cref="MetricsListener"/>); null: nowhere.</summary>
    public IPEndPoint? MetricsAddress { get; init; }

    /// <summary>How old an encrypted network's key ring gets before the leader rotates it.</summary>
    public TimeSpan KeyRotationInterval { get; init; } = TimeSpan.FromHours(12);

    /// <summary>Where `network create` without --subnet takes a subnet from when this node serves it (10.0.0.0/8 in /24s).</summary>
    public Backbone.Control.Networks.SubnetPool AddressPool { get; init; } = Backbone.Control.Networks.SubnetPool.Default;

    /// <summary>PEM certificate of the client port: with <see cref="ClientKeyFile"/>, it serves TLS (kept in the data directory, see <see cref="ClientTlsSettings"/>).</summary>
    public string? ClientCertFile { get; init; }

    public string? ClientKeyFile { get; init; }

    /// <summary>PEM bundle: clients must present a certificate chaining to it (needs <see cref="ClientCertFile"/>).</summary>
    public string? ClientCaFile { get; init; }
}

/// <summary>
/// Runs one node: opens the store (standalone, or as a Raft member when the data directory says
/// so or the flags init/join a cluster), serves etcd's v3 API on Kestrel over HTTP/2 (cleartext,
/// or TLS with --client-cert: see <see cref="ClientPort"/>), and on shutdown (Ctrl-C, SIGTERM, or
/// the token) drains requests and closes the store cleanly.
/// </summary>
public static class NodeServer
{
    public const int DefaultPeerPort = 2377;

    /// <summary>
    /// Runs the node until <paramref name="cancellationToken"/> fires or the host is asked to stop
    /// (Ctrl-C, SIGTERM), then stops it cleanly. A member that can heal only by restarting (its
    /// Raft log diverged after every member crashed at once, or a snapshot install failed: see
    /// <see cref="RaftCommandLog.RestartNeeded"/>) is stopped and started again in this process,
    /// from its data directory, with a growing pause if it keeps asking. <paramref name="started"/>
    /// runs after every start.
    /// </summary>
    public static async Task RunAsync(NodeOptions options, Action<WebApplication> started, Action<string>? note = null, Action<string>? say = null,
        CancellationToken cancellationToken = default)
    {
        note ??= _ => { };
        TimeSpan pause = TimeSpan.Zero;
        long lastRestart = 0;
        while (true)
        {
            WebApplication app = await StartAsync(options, note: note, say: say).ConfigureAwait(false);
            Task<string>? restart;
            try
            {
                started(app);
                var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using CancellationTokenRegistration stopping = app.Lifetime.ApplicationStopping.Register(() => stopRequested.TrySetResult());
                using CancellationTokenRegistration cancelled = cancellationToken.Register(() => stopRequested.TrySetResult());
                // A Raft member restarts to heal its log; any node after a role change (promote, demote).
                Task<string>[] restarts = [.. new[] { app.Services.GetService<RaftCommandLog>()?.RestartNeeded, app.Services.GetService<NodeRestart>()?.Requested }.OfType<Task<string>>()];
                Task first = await Task.WhenAny([stopRequested.Task, .. restarts]).ConfigureAwait(false);
                restart = first == stopRequested.Task ? null : (Task<string>)first;

                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            if (restart is null)
            {
                return;
            }

            // A member asking again soon after its last restart waits longer each time (1 s up to 30 s).
            pause = lastRestart != 0 && Stopwatch.GetElapsedTime(lastRestart) < TimeSpan.FromMinutes(1)
                ? TimeSpan.FromTicks(Math.Min(Math.Max(pause.Ticks * 2, TimeSpan.TicksPerSecond), 30 * TimeSpan.TicksPerSecond))
                : TimeSpan.Zero;
            note($"restarting this member in place{(pause > TimeSpan.Zero ? $" in {pause.TotalSeconds:0} s" : "")}: {restart.Result}");
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            lastRestart = Stopwatch.GetTimestamp();

            // It is a member now: everything the next start needs is in its data directory.
            options = options with { Init = false, Join = null, Token = null, ForceNewCluster = false };
        }
    }

    /// <summary>
    /// Starts the node and returns once it is serving. <paramref name="note"/> gets start-up
    /// notices; <paramref name="say"/> gets what an operator must see (join tokens at init).
    /// </summary>
    public static async Task<WebApplication> StartAsync(NodeOptions options, TimeProvider? time = null, Action<string>? note = null, Action<string>? say = null)
    {
        note ??= _ => { };
        say ??= _ => { };
        if (LeftCluster.Guard(options.DataDir, options.Init || options.Join is not null) is { } moved)
        {
            note(moved);
        }

        ClusterSettings? settings = ClusterSettings.Load(options.DataDir);
        options = options with { ListenClient = options.ListenClient ?? settings?.ListenClient ?? NodeOptions.DefaultListenClient };
        IPEndPoint endpoint = ParseEndpoint(options.ListenClient);
        if (settings is not null && (options.Init || options.Join is not null))
        {
            throw new InvalidOperationException(
                $"{options.DataDir} already belongs to a cluster member: restart it with only --data-dir {options.DataDir}");
        }

        if (options.UnsafeNoFsync && (settings is not null || options.Init || options.Join is not null))
        {
            throw new ArgumentException("--unsafe-no-fsync applies to a standalone node only: a cluster member's Raft log is always flushed");
        }

        if (options.Init && options.Join is not null)
        {
            throw new ArgumentException("--init creates a new cluster and --join joins one: pass only one of them");
        }

        if (options.ForceNewCluster && (settings is null || settings.Role == JoinRole.Worker || options.Init || options.Join is not null))
        {
            throw new ArgumentException(settings is null || options.Init || options.Join is not null
                ? "--force-new-cluster recovers an existing manager from its data directory: pass only --data-dir of a manager (not --init or --join)"
                : "--force-new-cluster needs a manager's data directory: a worker holds no store");
        }

        ClientTlsCredentials? tls = ClientTlsStart.Load(options, settings, endpoint, note);
        if (settings is null && !options.Init && options.Join is null)
        {
            return await StartStandaloneAsync(options, endpoint, tls, time, note).ConfigureAwait(false);
        }

        return await StartMemberAsync(options, endpoint, settings, tls, time, note, say).ConfigureAwait(false);
    }

    private static async Task<WebApplication> StartStandaloneAsync(NodeOptions options, IPEndPoint endpoint, ClientTlsCredentials? tls, TimeProvider? time, Action<string> note)
    {
        NodeIdentity identity = NodeIdentity.LoadOrCreate(options.DataDir, options.Name);
        if (options.UnsafeNoFsync)
        {
            note("--unsafe-no-fsync: the WAL is not synced to disk; acknowledged writes can be lost on power loss (for benchmarks only)");
        }

        StoreEngine engine = StoreEngine.Open(
            new StoreOptions { DataDir = options.DataDir, CheckpointEveryEntries = options.SnapshotCount, UnsafeNoFsync = options.UnsafeNoFsync }, time, note: note);
        string clientUrl = ClusterSettings.ClientUrlOf(options.ListenClient!, tls is not null);
        return await ServeAsync(options, endpoint, engine, new NodeContext(engine, identity, clientUrl, new StandaloneView(identity, clientUrl, engine)), null, null,
            tls, clusterCa: null, time ?? TimeProvider.System, note).ConfigureAwait(false);
    }

    private static async Task<WebApplication> StartMemberAsync(NodeOptions options, IPEndPoint endpoint, ClusterSettings? settings, ClientTlsCredentials? tls,
        TimeProvider? time, Action<string> note, Action<string> say)
    {
        bool firstStart = settings is null;
        settings ??= NewSettings(options, tls is not null);
        if (settings.ClientUrl != settings.WithClientTls(tls is not null).ClientUrl)
        {
            // TLS turned on or off on a restart: the member advertises the new URL from now on.
            settings = settings.WithClientTls(tls is not null);
            settings.Save(options.DataDir);
            note($"client URL is now {settings.ClientUrl}");
        }

        NodeIdentity identity = NodeIdentity.LoadOrCreate(options.DataDir, options.Name);
        NodeKeys keys = NodeKeys.LoadOrCreate(options.DataDir);
        JoinToken? token = null;
        if (options.Join is not null)
        {
            token = JoinToken.Parse(options.Token ?? throw new ArgumentException("--join needs --token (get one on a manager: backbone swarm join-token manager)"));
        }

        IPEndPoint peer = ParseEndpoint(settings.PeerAddress);
        var memberTls = new MemberTls(keys, tls?.ClientCas);
        var link = new GrpcPeerLink(memberTls);
        ClusterSecrets? created = null;
        ClusterJoin.Certified? certified = null;
        try
        {
            // Raft between managers is mutual TLS from the first byte, so the certificate comes
            // first: a new cluster makes its CA here; a joining node gets its key certified.
            if (firstStart && options.Init)
            {
                created = ClusterSecrets.Create(identity.ClusterId);
                ClusterCa ca = created.Ca();
                keys.SaveCertificates(ca.SignNodeCertificate(keys.SigningRequest(identity.Name), identity.Name, identity.MemberId, peer.Address), ca.CertificatePem);
            }
            else if (firstStart)
            {
                certified = await ClusterJoin.CertifyAsync(link, options.Join!, token!, identity, settings.PeerAddress,
                    settings.ClientUrl, keys, note, CancellationToken.None).ConfigureAwait(false);
                identity = identity with { ClusterId = certified.ClusterId };
                identity.Save(options.DataDir);
                keys.SaveCertificates(certified.NodeCertificatePem, certified.CaCertificatePem);
                ClientTlsStart.RequireTrustOfJoinedMember(options.Join!, memberTls);
                if (certified.Role == JoinRole.Worker)
                {
                    settings = settings with { Role = JoinRole.Worker, KnownMembers = certified.ManagerClientUrls };
                    settings.Save(options.DataDir);
                    link.Dispose();
                    say($"Joined cluster {certified.ClusterId:x16} as a worker: its client API passes every call to the managers ({string.Join(", ", certified.ManagerClientUrls)}).");
                    return await StartWorkerAsync(options, endpoint, settings, identity, note, tls, keys, memberTls).ConfigureAwait(false);
                }
            }
            else if (settings.Role == JoinRole.Worker)
            {
                link.Dispose();
                return await StartWorkerAsync(options, endpoint, settings, identity, note, tls, keys, memberTls).ConfigureAwait(false);
            }
            else if (!keys.HasCertificate)
            {
                throw new InvalidOperationException($"{keys.CertificatePath} is missing: this member cannot prove itself to its peers. Restore it from a backup, or remove the data directory and join again");
            }
        }
        catch
        {
            link.Dispose();
            throw;
        }

        ClientTlsStart.NoteUntrustedClientCertificate(tls, memberTls, settings, note);
        var raftOptions = new RaftOptions
        {
            Directory = Path.Combine(options.DataDir, "raft"),
            PeerEndPoint = peer,
            ListenEndPoint = ParseEndpoint(settings.ListenPeer),
            Bootstrap = (firstStart && options.Init) || options.ForceNewCluster,
            Self = new RaftPeer(identity.MemberId, identity.Name, settings.PeerAddress, settings.ClientUrl),
            LowerElectionTimeoutMs = options.ElectionTimeoutMs,
            UpperElectionTimeoutMs = options.ElectionTimeoutMs * 3 / 2, // see DefaultElectionTimeoutMs
            Certificate = keys.Certificate(),
            ClusterCa = keys.CaCertificate(),
            InitialVoters = certified is not null ? [.. certified.VoterPeerAddresses.Select(IPEndPoint.Parse)]
                : [.. settings.PromotionVoters.Select(IPEndPoint.Parse)], // a promoted worker's first start as a manager
        };
        StoreEngine engine;
        RaftCommandLog log;
        var storeOptions = new StoreOptions { DataDir = options.DataDir, CheckpointEveryEntries = options.SnapshotCount };
        try
        {
            if (options.ForceNewCluster)
            {
                long from = await RaftStore.PrepareForcedClusterAsync(storeOptions, raftOptions, link, note).ConfigureAwait(false);
                say($"Recovered: this member's data (up to Raft entry {from}) is now a new cluster with this member as its only manager. "
                    + "Do not start the other old managers again: remove their data directories, and add managers with a join token "
                    + $"(backbone swarm join-token manager --endpoints {ClientTlsStart.ClientAddress(options, settings, tls)}{ClientTlsStart.ClientFlags(tls)}).");
            }

            else if (LogRepair.Load(raftOptions.Directory) is { } repair)
            {
                // The cut must not take away a copy a quorum counted on: wait until the others hold everything this log holds.
                long mustHold = LogRepair.LastEntry(RaftNode.LogDirectory(raftOptions.Directory));
                note($"a Raft log repair is pending ({repair.Reason}); entries up to {mustHold} must be on a quorum of the other managers first");
                await RepairGate.WaitUntilSafeAsync(link, settings.KnownMembers, identity.MemberId, settings.ClientUrl, mustHold, note, CancellationToken.None)
                    .ConfigureAwait(false);
            }

            (engine, log) = await RaftStore.OpenAsync(storeOptions, raftOptions, link,
                RaftLogging(options.LogLevel), time: time, note: note).ConfigureAwait(false);
        }
        catch
        {
            link.Dispose();
            throw;
        }

        try
        {
            if (created is not null)
            {
                ClusterSecrets secrets = await created.StoreOnceAsync(engine, CancellationToken.None).ConfigureAwait(false);
                await ManagerRecord.Of(raftOptions.Self).StoreAsync(engine, CancellationToken.None).ConfigureAwait(false);
                settings.Save(options.DataDir);
                string tlsFlags = tls is null ? "" : " --client-cert FILE --client-key FILE" + (tls.RequiresClientCertificates ? " --client-ca FILE" : "");
                say($"Cluster {identity.ClusterId:x16} created. To add a manager, run on it:\n"
                    + $"    backbone node --join {ClientTlsStart.ClientAddress(options, settings, tls)} --token {secrets.Token(JoinRole.Manager)} --name NAME --data-dir DIR --advertise-addr IP{tlsFlags}\n"
                    + $"Show the tokens again with: backbone swarm join-token manager|worker --endpoints {ClientTlsStart.ClientAddress(options, settings, tls)}{ClientTlsStart.ClientFlags(tls)}");
            }
            else if (certified is not null)
            {
                IReadOnlyList<string> members = await ClusterJoin.AddVoterAsync(link, options.Join!, token!, certified, identity, settings.PeerAddress, note,
                    CancellationToken.None).ConfigureAwait(false);
                (settings with { KnownMembers = members }).Save(options.DataDir);
                say($"Joined cluster {certified.ClusterId:x16} as a manager.");
            }
            else if (settings.PromotionVoters.Count > 0)
            {
                IReadOnlyList<string> members = await ClusterJoin.CompletePromotionAsync(link, settings.KnownMembers.FirstOrDefault()
                    ?? throw new InvalidOperationException("this promoted worker knows no manager to ask for its vote: demote and join it again"),
                    keys, identity, settings.PeerAddress, note, CancellationToken.None).ConfigureAwait(false);
                settings = settings with { KnownMembers = members, PromotionVoters = [] };
                settings.Save(options.DataDir);
                say($"Promoted: this node is now a manager of cluster {identity.ClusterId:x16}.");
            }
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            link.Dispose();
            throw;
        }

        var context = new NodeContext(engine, identity, settings.ClientUrl, new RaftView(log.Node, engine));
        WebApplication app = await ServeAsync(options, endpoint, engine, context, log, link, tls, raftOptions.ClusterCa, time ?? TimeProvider.System, note).ConfigureAwait(false);
        KnownMembersKeeper keeper = KnownMembersKeeper.Start(context.Cluster, options.DataDir);
        log.Node.LeaderChanged += keeper.Poke;
        app.Lifetime.ApplicationStopping.Register(keeper.Dispose);
        _ = DemotionWatcher.RunAsync(engine, log.Node, link, options.DataDir, app.Services.GetRequiredService<NodeRestart>(), note, app.Lifetime.ApplicationStopping);
        return app;
    }

    /// <summary>
    /// DotNext's own log lines (elections, leader changes, unreachable peers) on stderr, from
    /// Information up when the node runs with --log-level Information or lower. At the default
    /// (Warning) they are off: DotNext warns on every replication round while a peer is down.
    /// </summary>
    private static ILoggerFactory? RaftLogging(LogLevel level) =>
        level > LogLevel.Information ? null : LoggerFactory.Create(logging => logging
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff "; // elections and leader changes are read as a timeline
                console.UseUtcTimestamp = true;
            })
            .SetMinimumLevel(level));

    /// <summary>
    /// The web host without file watching. By default it watches its content root, the current
    /// directory, to reload appsettings.json; that is often the data directory (or above it), and
    /// then every Raft log and FASTER write wakes the watcher: 5-7% of a member's CPU under load.
    /// </summary>
    internal static WebApplicationBuilder NewWebBuilder() => WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    });

    /// <summary>
    /// The web host's logs at <paramref name="level"/>, with timestamps; ASP.NET Core's per-request
    /// lines only from Debug down (at Information they would bury DotNext's election log).
    /// </summary>
    internal static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft.AspNetCore", level <= LogLevel.Debug ? level : LogLevel.Warning);
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });
    }

    /// <summary>A worker: no store and no vote; its client API is a pass-through to the managers.</summary>
    private static async Task<WebApplication> StartWorkerAsync(NodeOptions options, IPEndPoint endpoint, ClusterSettings settings, NodeIdentity identity, Action<string> note,
        ClientTlsCredentials? tls, NodeKeys keys, MemberTls memberTls)
    {
        if (DataDirArchive.MoveAside(options.DataDir, DataDirArchive.FormerManagerArchive, DataDirArchive.StoreEntries) is { } archive)
        {
            note($"this node was demoted: its store and Raft log as a manager are kept in {archive}");
        }

        var link = new GrpcPeerLink(memberTls);
        WebApplicationBuilder builder = NewWebBuilder();
        ConfigureLogging(builder.Logging, options.LogLevel);
        ClientPort.Listen(builder, endpoint, tls, keys.HasCertificate ? keys.CaCertificate() : null);
        MetricsRegistry? metrics = MetricsStart.Register(builder, options, note);
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton(sp => new ManagerProxy(sp.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), settings.KnownMembers, memberTls,
            $"{identity.MemberId.ToString("x", System.Globalization.CultureInfo.InvariantCulture)} {identity.Name}"));
        // Unknown services must reach the proxy below, not gRPC's own "unimplemented" answer.
        builder.Services.AddGrpc(grpc => grpc.IgnoreUnknownServices = true);
        builder.Services.AddSingleton<INodeLeave>(new WorkerLeave(link, options.DataDir, identity.MemberId));
        builder.Services.AddSingleton<NodeRestart>();
        var managers = new ManagerStore(link, settings.KnownMembers);
        builder.Services.AddSingleton(new NodeTaskLogs(identity.MemberId.ToString("x", System.Globalization.CultureInfo.InvariantCulture), identity.Name,
            AgentStart.LogDirectoryIn(options.DataDir), managers, invokerFor: null));
        WebApplication app = builder.Build();
        ManagerProxy proxy = app.Services.GetRequiredService<ManagerProxy>();
        ClientPort.Guard(app, tls);
        app.MapGrpcService<NodeService>(); // answered here; a literal route wins over the catch-all below
        app.MapGrpcService<TaskLogsService>(); // this worker's own task logs, for the manager gathering `service logs`
        app.Map("/{**path}", proxy.ForwardAsync);
        app.Lifetime.ApplicationStopped.Register(link.Dispose);
        await app.StartAsync().ConfigureAwait(false);
        _ = PromotionWatcher.RunAsync(link, options.DataDir, identity.MemberId, app.Services.GetRequiredService<NodeRestart>(), note, app.Lifetime.ApplicationStopping);
        var self = new Backbone.Control.Nodes.NodeRecord
        {
            Id = identity.MemberId.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
            Name = identity.Name,
            Role = "worker",
            Address = endpoint.Address.ToString(),
            ClientUrl = settings.ClientUrl,
            StartedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        var registration = new Backbone.Control.Nodes.NodeRegistration(managers, managers, self, note);
        _ = registration.RunAsync(app.Lifetime.ApplicationStopping); // handles its own failures
        Backbone.Dns.Server.DnsServer? dns = DnsStart.Start(options, managers, feed: managers, TimeProvider.System, note, app.Lifetime);
        AddDnsMetrics(metrics, dns);
        AgentStart.Start(options, managers, feed: managers, registration, self, TimeProvider.System, note, app.Lifetime, dns); // a watch, as on a manager: a remote change reaches this host's tunnels at once, not at the next poll
        return app;
    }

    private static ClusterSettings NewSettings(NodeOptions options, bool tls)
    {
        IPEndPoint client = ParseEndpoint(options.ListenClient!);
        string advertise = options.AdvertiseAddr
            ?? (client.Address.Equals(IPAddress.Any) ? throw new ArgumentException("--advertise-addr is needed when --listen-client binds 0.0.0.0") : client.Address.ToString());
        if (!IPAddress.TryParse(advertise, out IPAddress? advertised))
        {
            throw new ArgumentException($"--advertise-addr '{advertise}' is not an IP address");
        }

        IPEndPoint listenPeer = options.ListenPeer is { } lp ? ParseEndpoint(lp) : new IPEndPoint(advertised, DefaultPeerPort);
        string peerAddress = new IPEndPoint(advertised, listenPeer.Port).ToString();
        string clientHost = client.Address.Equals(IPAddress.Any) ? advertise : client.Address.ToString();
        return new ClusterSettings
        {
            PeerAddress = peerAddress,
            ListenPeer = listenPeer.ToString(),
            ListenClient = options.ListenClient!,
            ClientUrl = ClusterSettings.ClientUrlOf(new IPEndPoint(IPAddress.Parse(clientHost), client.Port).ToString(), tls),
        };
    }

    private static async Task<WebApplication> ServeAsync(NodeOptions options, IPEndPoint endpoint, StoreEngine engine, NodeContext context, RaftCommandLog? log, GrpcPeerLink? link,
        ClientTlsCredentials? tls, X509Certificate2? clusterCa, TimeProvider time, Action<string> note)
    {
        WebApplicationBuilder builder = NewWebBuilder();
        ConfigureLogging(builder.Logging, options.LogLevel);
        ClientPort.Listen(builder, endpoint, tls, clusterCa);
        MetricsRegistry? metrics = MetricsStart.Register(builder, options, note);
        metrics?.Add(new StoreMetrics(context, log));
        if (link is not null)
        {
            metrics?.Add(new PeerLinkMetrics(link));
        }
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = StoreLimits.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = null;
            grpc.Interceptors.Add<StoreErrorInterceptor>();
        });
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(context);
        var leaseRouter = new LeaseRouter(engine, log, link);
        builder.Services.AddSingleton(leaseRouter);
        builder.Services.AddSingleton<NodeRestart>();
        var networks = new Backbone.Control.Networks.NetworkStore(new Control.EngineKeyValue(context), options.AddressPool, time);
        builder.Services.AddSingleton(networks);
        builder.Services.AddSingleton(new Backbone.Control.Services.ServiceStore(new Control.EngineKeyValue(context), networks, time));
        builder.Services.AddSingleton(new Backbone.Control.Containers.ContainerStore(new Control.EngineKeyValue(context), networks, time));
        builder.Services.AddSingleton(new NodeTaskLogs(context.Identity.MemberId.ToString("x", System.Globalization.CultureInfo.InvariantCulture), context.Identity.Name,
            AgentStart.LogDirectoryIn(options.DataDir), new Control.EngineKeyValue(context), link is null ? null : url => link.ChannelFor(url).CreateCallInvoker()));
        if (log is not null && link is not null)
        {
            builder.Services.AddSingleton(log);
            builder.Services.AddSingleton(link);
            builder.Services.AddSingleton((RaftView)context.Cluster);
            builder.Services.AddSingleton<INodeLeave>(new ManagerLeave(log.Node, (RaftView)context.Cluster, link, options.DataDir));
        }

        WebApplication app = builder.Build();
        ClientPort.Guard(app, tls);
        app.MapGrpcService<KvService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<MaintenanceService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<ControlService>();
        app.MapGrpcService<TaskLogsService>();
        if (log is not null)
        {
            app.MapGrpcService<PeerService>();
            app.MapGrpcService<NodeService>();
        }

        app.Lifetime.ApplicationStopped.Register(() =>
        {
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            link?.Dispose();
        });
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            link?.Dispose();
            throw;
        }

        // The control plane's loops: each handles its own failures and stops with the node.
        CancellationToken stopping = app.Lifetime.ApplicationStopping;
        var kv = new EngineKeyValue(context);
        // The Raft node's own view (its leadership token), not the cluster view's leader id: a
        // deposed leader names itself there until it hears of the next one.
        Func<bool> leads = log is null ? () => true : () => log.IsLeader;
        _ = new KeyRotator(networks, leads, options.KeyRotationInterval, time, note).RunAsync(stopping);
        var self = new Backbone.Control.Nodes.NodeRecord
        {
            Id = context.Identity.MemberId.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
            Name = context.Identity.Name,
            Role = "manager",
            Address = new Uri(context.ClientUrl).Host,
            ClientUrl = context.ClientUrl,
            StartedUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (log is not null)
        {
            // Cluster members only: a standalone node (no --init, no --join) is a plain
            // etcd-compatible store, and records written by itself (its node record, tasks)
            // would move its revisions away from etcd's.
            var registration = new Backbone.Control.Nodes.NodeRegistration(kv, new EngineLeases(context, leaseRouter), self, note);
            _ = registration.RunAsync(stopping);
            var changes = new EngineChangeFeed(context);
            _ = new Backbone.Control.Scheduling.Scheduler(kv, leads, time, note, changes).RunAsync(stopping);
            Backbone.Dns.Server.DnsServer? dns = DnsStart.Start(options, kv, new EngineEventFeed(context), time, note, app.Lifetime);
            AddDnsMetrics(metrics, dns);
            AgentStart.Start(options, kv, changes, registration, self, time, note, app.Lifetime, dns);
        }

        return app;
    }

    private static void AddDnsMetrics(MetricsRegistry? metrics, Backbone.Dns.Server.DnsServer? dns)
    {
        if (metrics is not null && dns is not null)
        {
            metrics.Add(new Backbone.Dns.Server.DnsMetrics(dns));
        }
    }

    public static IPEndPoint ParseEndpoint(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"'{hostPort}' is not HOST:PORT (for example 127.0.0.1:2379)");
        }

        string host = hostPort[..colon].Trim('[', ']');
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            throw new ArgumentException($"'{host}' is not an IP address (use an address such as 127.0.0.1 or 0.0.0.0)");
        }

        return new IPEndPoint(address, port);
    }
}
