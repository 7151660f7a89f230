using System.CommandLine;
using Backbone.Server;
using Backbone.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone node</c>: runs one node in the foreground until Ctrl-C or SIGTERM.</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        Option<string?> name = new("--name") { Description = "Human-readable name of this node (kept in the data directory; default 'default')" };
        Option<string> dataDir = new("--data-dir")
        {
            Description = "Directory for this node's data (created if missing). A restart needs only this flag.",
            Required = true,
        };
        Option<string?> listenClient = new("--listen-client")
        {
            Description = $"HOST:PORT for the etcd v3 client API, gRPC over HTTP/2: cleartext, or TLS with --client-cert "
                + $"(default: the one kept in the data directory, else {NodeOptions.DefaultListenClient})",
        };
        Option<string?> clientCert = new("--client-cert")
        {
            Description = "PEM certificate for the client port (then any intermediates): with --client-key, clients connect over TLS "
                + "(https://HOST:PORT; etcdctl --cacert CA). Kept in the data directory: a restart needs no TLS flag, and passing them again replaces them all",
        };
        Option<string?> clientKey = new("--client-key") { Description = "PEM private key (unencrypted) of --client-cert" };
        Option<string?> clientCa = new("--client-ca")
        {
            Description = "PEM bundle of CAs: clients must present a certificate one of them signed (etcdctl --cert/--key), as etcd's "
                + "--client-cert-auth --trusted-ca-file; cluster members' own certificates are accepted too. Needs --client-cert",
        };
        Option<LogLevel> logLevel = new("--log-level")
        {
            Description = "Least severe log level printed (Trace, Debug, Information, Warning, Error)",
            DefaultValueFactory = _ => LogLevel.Warning,
        };

        Option<bool> init = new("--init") { Description = "Create a new cluster with this node as its first manager (prints the join tokens)" };
        Option<bool> forceNewCluster = new("--force-new-cluster")
        {
            Description = "Recover from a lost quorum: this stopped manager's data becomes a new cluster with it as the only manager "
                + "(same tokens). Never start the other old managers again; add new ones with a join token",
        };
        Option<string?> join = new("--join")
        {
            Description = "Join the cluster of the manager whose client API is at HOST:PORT, or https://HOST:PORT when it serves TLS (needs --token)",
        };
        Option<string?> token = new("--token") { Description = "Join token (BBTKN-1-...), from: backbone swarm join-token manager" };
        Option<string?> advertiseAddr = new("--advertise-addr")
        {
            Description = "IP address other managers reach this node at (default: the --listen-client address)",
        };
        Option<string?> listenPeer = new("--listen-peer")
        {
            Description = $"HOST:PORT for Raft traffic between managers (default: ADVERTISE-ADDR:{NodeServer.DefaultPeerPort})",
        };
        Option<int> electionTimeout = new("--election-timeout-ms")
        {
            Description = "Raft election timeout, lower bound in ms (the upper bound is 1.5 times it; the leader's heartbeat is a fifth of it): "
                + "a dead leader is replaced after one to three times this. Raise it on slow or overloaded hosts, where a longer "
                + "stall would depose a healthy leader. The same on every manager",
            DefaultValueFactory = _ => NodeOptions.DefaultElectionTimeoutMs,
        };

        Option<string> addressPool = new("--default-addr-pool")
        {
            Description = "CIDR that `network create` without --subnet takes subnets from, as docker swarm init's flag (give every manager the same)",
            DefaultValueFactory = _ => Backbone.Control.Networks.SubnetPool.Default.Pool.ToString(),
        };
        Option<int> addressPoolMask = new("--default-addr-pool-mask-length")
        {
            Description = "Prefix length of each subnet taken from --default-addr-pool",
            DefaultValueFactory = _ => Backbone.Control.Networks.SubnetPool.Default.BlockLength,
        };

        Option<string> keyRotation = new("--key-rotation-interval")
        {
            Description = "How old an encrypted network's keys get before the leader rotates them: a number with s, m or h (give every manager the same)",
            DefaultValueFactory = _ => "12h",
        };

        Option<bool> noAgent = new("--no-agent")
        {
            Description = "Do not run the tasks scheduled on this node (no namespaces, no processes): it still stores, votes and schedules. "
                + "The agent needs root; without root it is off anyway",
        };
        Option<string> netnsPrefix = new("--netns-prefix")
        {
            Description = "Start of the name of every network namespace this node's agent makes (sandboxes PREFIXsb-VNI, containers PREFIXc-ID). "
                + "Give each node sharing one host its own (kept in the data directory, as the other agent, DNS and metrics flags)",
            DefaultValueFactory = _ => Backbone.Overlay.Reconcile.HostNames.DefaultPrefix,
        };

        Option<int> dataPathPort = new("--data-path-port")
        {
            Description = "UDP port of the VXLAN data plane between hosts (the same on every node, as docker swarm init's); "
                + "0: no tunnels, containers reach only their own host (nodes sharing one network namespace, as in tests)",
            DefaultValueFactory = _ => Backbone.Overlay.Agent.DataPlane.DefaultPort,
        };

        Option<int> probePort = new("--probe-port")
        {
            Description = "UDP and TCP port of the agents' liveness probes (SWIM), the same on every node: a dead host's containers leave "
                + "DNS and the tunnels within about 3 s; 0: none (they leave when its lease runs out, 10 s)",
            DefaultValueFactory = _ => Backbone.Overlay.Membership.MembershipOptions.DefaultPort,
        };

        Option<string> dnsAddr = new("--dns-addr")
        {
            Description = "HOST:PORT where the DNS server answers every network's names (and name.network forms) for the host; off: none. "
                + "Containers are always served at 127.0.0.11:53 in their namespace",
            DefaultValueFactory = _ => $"127.0.0.1:{NodeOptions.DefaultDnsPort}",
        };
        Option<string[]> dnsUpstream = new("--dns-upstream")
        {
            Description = "IP[:PORT] of a resolver for names the DNS server does not know (repeat for several; all are asked at once). Default: the nameservers of /etc/resolv.conf",
        };
        Option<uint> dnsTtl = new("--dns-ttl") { Description = "TTL in seconds of the DNS server's answers", DefaultValueFactory = _ => 5 };
        Option<string?> metricsAddr = new("--metrics-addr")
        {
            Description = "IP:PORT where Prometheus scrapes GET /metrics (text format 0.0.4, HTTP/1.1 cleartext: its own listener, never the client port). "
                + "Default: off (give off to turn it off again). Port 0 takes any free port (the node prints it). The metrics are listed in docs/operations.md and docs/dns.md, \"Metrics\"",
        };

        Option<long> snapshotCount = new("--snapshot-count")
        {
            Description = "Writes between checkpoints: each bounds the replay after a restart and lets the Raft log be truncated (as etcd's flag)",
            DefaultValueFactory = _ => new NodeOptions { DataDir = "." }.SnapshotCount,
        };

        Option<bool> unsafeNoFsync = new("--unsafe-no-fsync")
        {
            Description = "Standalone node only, for benchmarks: do not fdatasync the WAL (as etcd's flag). Acknowledged writes "
                + "can be lost on power loss. Never kept in the data directory: give it on every start that should have it",
        };

        Command command = new("node", "Run a Backbone node in the foreground: the store and its etcd v3 API.\n"
            + "Standalone:   backbone node --name n1 --data-dir /var/lib/backbone --listen-client 127.0.0.1:2379\n"
            + "New cluster:  backbone node --init --name n1 --data-dir D1 --advertise-addr 10.0.0.1 --listen-client 10.0.0.1:2379\n"
            + "Add manager:  backbone node --join 10.0.0.1:2379 --token BBTKN-1-... --name n2 --data-dir D2 --advertise-addr 10.0.0.2 --listen-client 10.0.0.2:2379\n"
            + "Restart:      backbone node --data-dir D1   (everything else is kept in the data directory: the cluster's settings,\n"
            + "              and the agent, DNS, metrics and Raft flags given before, in node-flags.json; a flag given again replaces its kept value)\n"
            + "Then: etcdctl --endpoints 127.0.0.1:2379 put hello world\n"
            + "Client TLS:   backbone node --data-dir D --listen-client 10.0.0.1:2379 --client-cert server.crt --client-key server.key [--client-ca clients-ca.crt]\n"
            + "Then: etcdctl --endpoints https://10.0.0.1:2379 --cacert ca.crt [--cert client.crt --key client.key] put hello world\n"
            + "(the certificate must name the IP clients dial; members need --client-ca, or system-trusted certificates: docs/cluster.md)")
        {
            name, dataDir, listenClient, clientCert, clientKey, clientCa, logLevel, init, forceNewCluster, join, token, advertiseAddr, listenPeer, electionTimeout,
            snapshotCount,
            unsafeNoFsync,
            addressPool,
            addressPoolMask,
            keyRotation,
            noAgent,
            netnsPrefix,
            dataPathPort,
            probePort,
            dnsAddr,
            dnsUpstream,
            dnsTtl,
            metricsAddr,
        };
        command.Subcommands.Add(NodeAdminCommands.List());
        command.Subcommands.Add(NodeAdminCommands.Remove());
        command.Subcommands.Add(NodeAdminCommands.Promote());
        command.Subcommands.Add(NodeAdminCommands.Demote());
        Option[] kept = [electionTimeout, snapshotCount, addressPool, addressPoolMask, keyRotation, noAgent, netnsPrefix, dataPathPort, probePort, dnsAddr, dnsUpstream, dnsTtl, metricsAddr];
        command.SetAction(async (parse, cancellationToken) =>
        {
            SortedDictionary<string, string[]>? keptFlags;
            try
            {
                (parse, keptFlags) = KeptNodeFlags.Merge(parse, parse.GetValue(dataDir)!, kept);
            }
            catch (InvalidDataException e)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            if (parse.Errors.Count > 0)
            {
                await Console.Error.WriteLineAsync($"Error: the flags kept in {KeptNodeFlags.PathIn(parse.GetValue(dataDir)!)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}; give the flag again to replace it").ConfigureAwait(false);
                return 2;
            }

            NodeOptions options = new()
            {
                Name = parse.GetValue(name),
                DataDir = parse.GetValue(dataDir)!,
                ListenClient = parse.GetValue(listenClient),
                LogLevel = parse.GetValue(logLevel),
                Init = parse.GetValue(init),
                Join = parse.GetValue(join),
                Token = parse.GetValue(token),
                AdvertiseAddr = parse.GetValue(advertiseAddr),
                ListenPeer = parse.GetValue(listenPeer),
                ElectionTimeoutMs = parse.GetValue(electionTimeout),
                SnapshotCount = parse.GetValue(snapshotCount),
                UnsafeNoFsync = parse.GetValue(unsafeNoFsync),
                ForceNewCluster = parse.GetValue(forceNewCluster),
                ClientCertFile = parse.GetValue(clientCert),
                ClientKeyFile = parse.GetValue(clientKey),
                ClientCaFile = parse.GetValue(clientCa),
            };
            if (!Backbone.Control.Networks.Ipv4Cidr.TryParse(parse.GetValue(addressPool)!, out Backbone.Control.Networks.Ipv4Cidr? pool, out string? poolError))
            {
                await Console.Error.WriteLineAsync($"Error: --default-addr-pool: {poolError}").ConfigureAwait(false);
                return 2;
            }

            int poolMask = parse.GetValue(addressPoolMask);
            if (poolMask < pool.Value.PrefixLength || poolMask > 29)
            {
                await Console.Error.WriteLineAsync($"Error: --default-addr-pool-mask-length {poolMask} must be between the pool's own length ({pool.Value.PrefixLength}) and 29").ConfigureAwait(false);
                return 2;
            }

            if (ParseInterval(parse.GetValue(keyRotation)!) is not { } rotation)
            {
                await Console.Error.WriteLineAsync($"Error: --key-rotation-interval \"{parse.GetValue(keyRotation)}\" is not an interval: write a whole number with s, m or h, e.g. 12h, at least 10s").ConfigureAwait(false);
                return 2;
            }

            string prefix = parse.GetValue(netnsPrefix)!;
            if (prefix.Length is 0 or > 32 || !prefix.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                await Console.Error.WriteLineAsync($"Error: --netns-prefix \"{prefix}\" must be 1-32 characters of a-z, 0-9 and '-', e.g. bb-h1-").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(probePort) is < 0 or > 65535)
            {
                await Console.Error.WriteLineAsync($"Error: --probe-port {parse.GetValue(probePort)} is not a port: give 1-65535 (7946 by default), or 0 for no probes").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(dataPathPort) is < 0 or > 65535)
            {
                await Console.Error.WriteLineAsync($"Error: --data-path-port {parse.GetValue(dataPathPort)} is not a UDP port: give 1-65535 (4789 is VXLAN's), or 0 for no tunnels").ConfigureAwait(false);
                return 2;
            }

            System.Net.IPEndPoint? dnsEndpoint = null;
            if (parse.GetValue(dnsAddr) is { } dnsText && dnsText != "off")
            {
                try
                {
                    dnsEndpoint = NodeServer.ParseEndpoint(dnsText);
                }
                catch (ArgumentException e)
                {
                    await Console.Error.WriteLineAsync($"Error: --dns-addr: {e.Message}, or off").ConfigureAwait(false);
                    return 2;
                }
            }

            System.Net.IPEndPoint? metricsEndpoint = null;
            if (parse.GetValue(metricsAddr) is { } metricsText && metricsText != "off")
            {
                try
                {
                    metricsEndpoint = NodeServer.ParseEndpoint(metricsText);
                }
                catch (ArgumentException e)
                {
                    await Console.Error.WriteLineAsync($"Error: --metrics-addr: {e.Message}; give the IP:PORT to serve /metrics on, e.g. 127.0.0.1:9090, or leave the flag out").ConfigureAwait(false);
                    return 2;
                }
            }

            var upstreams = new List<System.Net.IPEndPoint>();
            foreach (string upstream in parse.GetValue(dnsUpstream) ?? [])
            {
                if (System.Net.IPEndPoint.TryParse(upstream, out System.Net.IPEndPoint? parsed))
                {
                    upstreams.Add(parsed.Port == 0 ? new System.Net.IPEndPoint(parsed.Address, 53) : parsed);
                }
                else
                {
                    await Console.Error.WriteLineAsync($"Error: --dns-upstream \"{upstream}\" is not IP or IP:PORT (for example 10.0.0.2 or 127.0.0.1:5353)").ConfigureAwait(false);
                    return 2;
                }
            }

            options = options with
            {
                DnsAddress = dnsEndpoint,
                DnsUpstreams = upstreams.Count > 0 ? upstreams : null,
                DnsTtlSeconds = parse.GetValue(dnsTtl),
                MetricsAddress = metricsEndpoint,
                AddressPool = new Backbone.Control.Networks.SubnetPool(pool.Value, poolMask),
                KeyRotationInterval = rotation,
                Agent = !parse.GetValue(noAgent),
                NetnsPrefix = prefix,
                DataPathPort = parse.GetValue(dataPathPort),
                ProbePort = parse.GetValue(probePort),
            };
            if (options.SnapshotCount < 100)
            {
                await Console.Error.WriteLineAsync("Error: --snapshot-count must be at least 100").ConfigureAwait(false);
                return 2;
            }

            if (options.ElectionTimeoutMs is < 50 or > 60_000)
            {
                await Console.Error.WriteLineAsync("Error: --election-timeout-ms must be between 50 and 60000").ConfigureAwait(false);
                return 2;
            }

            KeptNodeFlags.Save(options.DataDir, keptFlags);
            return await RunAsync(options, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>"45s", "30m", "12h": at least 10 s (a shorter one would rotate faster than hosts install keys).</summary>
    private static TimeSpan? ParseInterval(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long amount)
            || amount > 1_000_000)
        {
            return null;
        }

        TimeSpan? interval = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            _ => null,
        };
        return interval >= TimeSpan.FromSeconds(10) ? interval : null;
    }

    private static async Task<int> RunAsync(NodeOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await NodeServer.RunAsync(options, app => Started(app, options.DataDir), note: n => Console.Error.WriteLine($"note: {n}"), say: Console.WriteLine,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (StoreCorruptException e)
        {
            await Console.Error.WriteLineAsync($"Error: data directory damaged: {e.Message}\n"
                + "The node will not start on data it cannot trust. Restore this directory from a backup or a healthy member.").ConfigureAwait(false);
            return 2;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}: another process already listens on this node's peer address. "
                + "Stop it, or give this node another --listen-peer (a restarted member keeps the one in its data directory)").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped while pausing before a restart
        }

        Console.WriteLine("backbone node stopped cleanly");
        return 0;
    }

    /// <summary>The banner after every start (a member that restarts itself to heal prints it again).</summary>
    private static void Started(WebApplication app, string dataDir)
    {
        if (app.Services.GetService(typeof(NodeContext)) is NodeContext node)
        {
            Console.WriteLine($"backbone node '{node.Identity.Name}' serving the etcd v3 API on {node.ClientUrl} "
                + $"(member {node.Identity.MemberId:x}, cluster {node.Identity.ClusterId:x}, revision {node.Engine.Revision}, data {dataDir})");
        }
        else if (app.Services.GetService(typeof(Backbone.Server.Cluster.ManagerProxy)) is Backbone.Server.Cluster.ManagerProxy proxy)
        {
            Console.WriteLine($"backbone worker serving the etcd v3 API on {app.Urls.FirstOrDefault() ?? "its client address"} "
                + $"by passing calls to the managers ({string.Join(", ", proxy.Managers)}), data {dataDir}");
        }
    }
}
