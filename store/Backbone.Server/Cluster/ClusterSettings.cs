using System.Text.Json;
using Backbone.Store;

namespace Backbone.Server.Cluster;

/// <summary>
/// How this node takes part in a cluster, kept in <c>DATA/cluster.json</c> once it has inited or
/// joined, so that a restart needs only <c>--data-dir</c>. No file means a standalone node.
/// </summary>
public sealed record ClusterSettings
{
    private const string FileName = "cluster.json";

    /// <summary>HOST:PORT the other managers reach this node's Raft endpoint at.</summary>
    public required string PeerAddress { get; init; }

    /// <summary>HOST:PORT to bind for Raft (defaults to <see cref="PeerAddress"/>).</summary>
    public required string ListenPeer { get; init; }

    public required string ListenClient { get; init; }

    /// <summary>The client URL advertised to other members (forwarding, joins, member lists): https:// when the client port serves TLS.</summary>
    public required string ClientUrl { get; init; }

    public JoinRole Role { get; init; } = JoinRole.Manager;

    /// <summary>Client URLs of members known at join time: where a worker or a lost node looks for the cluster.</summary>
    public IReadOnlyList<string> KnownMembers { get; init; } = [];

    /// <summary>
    /// Set when a worker was promoted and restarts as a manager: the voters' peer addresses its
    /// Raft node starts with, until the leader added it (then empty again).
    /// </summary>
    public IReadOnlyList<string> PromotionVoters { get; init; } = [];

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>One writer at a time: a running node's background tasks (members kept, role changes) and leave all edit the file.</summary>
    private static readonly Lock FileLock = new();

    /// <summary>
    /// Changes the stored settings under <see cref="FileLock"/>; nothing, and null, when there are
    /// none: the node left its cluster meanwhile (<see cref="LeftCluster"/>), and a late edit must
    /// not bring the file back. <paramref name="change"/> returns null to leave them as they are.
    /// </summary>
    public static ClusterSettings? Update(string dataDir, Func<ClusterSettings, ClusterSettings?> change)
    {
        lock (FileLock)
        {
            if (Load(dataDir) is not { } current || change(current) is not { } next)
            {
                return null;
            }

            next.Save(dataDir);
            return next;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the file under <see cref="FileLock"/> (leaving: the file is renamed).</summary>
    public static void WithFileLocked(Action action)
    {
        lock (FileLock)
        {
            action();
        }
    }

    /// <summary>The client URL of HOST:PORT: https:// when the client port serves TLS, else http://.</summary>
    public static string ClientUrlOf(string hostPort, bool tls) => (tls ? "https://" : "http://") + hostPort;

    /// <summary>These settings with the client URL's scheme for a client port with or without TLS (TLS turned on or off on a restart).</summary>
    public ClusterSettings WithClientTls(bool tls)
    {
        int scheme = ClientUrl.IndexOf("://", StringComparison.Ordinal);
        return this with { ClientUrl = ClientUrlOf(scheme < 0 ? ClientUrl : ClientUrl[(scheme + 3)..], tls) };
    }

    public static ClusterSettings? Load(string dataDir)
    {
        string path = PathIn(dataDir);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ClusterSettings>(File.ReadAllText(path)) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new StoreCorruptException(path, $"cannot read the cluster settings: {e.Message}", e);
        }
    }

    public void Save(string dataDir)
    {
        string path = PathIn(dataDir);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }
}
