namespace Backbone.Server.Cluster;

/// <summary>
/// A node that ran <c>backbone swarm leave</c>: its <c>cluster.json</c> becomes
/// <c>left-cluster.json</c>, so that starting it again with only <c>--data-dir</c> does not quietly
/// start a standalone node on a former member's files. Joining or initing again in that directory
/// first moves the old state aside (<see cref="DataDirArchive"/>); nothing is deleted.
/// </summary>
public static class LeftCluster
{
    public const string ArchiveName = "left";
    private const string MarkerName = "left-cluster.json";

    public static void Mark(string dataDir) =>
        ClusterSettings.WithFileLocked(() => File.Move(ClusterSettings.PathIn(dataDir), Path.Combine(dataDir, MarkerName), overwrite: true));

    /// <summary>Whether this node has just left (or left before): what it made on the host goes too.</summary>
    public static bool HasLeft(string dataDir) =>
        File.Exists(Path.Combine(dataDir, MarkerName)) && !File.Exists(ClusterSettings.PathIn(dataDir));

    /// <summary>
    /// At start: refuses a plain restart of a node that left (with what to do instead); before a
    /// new --init or --join, moves the old state aside. Returns a note of what it moved, if anything.
    /// </summary>
    public static string? Guard(string dataDir, bool initOrJoin)
    {
        string marker = Path.Combine(dataDir, MarkerName);
        if (!File.Exists(marker) || File.Exists(ClusterSettings.PathIn(dataDir)))
        {
            return null;
        }

        if (!initOrJoin)
        {
            string since = File.GetLastWriteTimeUtc(marker).ToString("u", System.Globalization.CultureInfo.InvariantCulture);
            throw new InvalidOperationException(
                $"{dataDir} belongs to a node that left its cluster ({since}). To join a cluster again, run: backbone node --join MANAGER:2379 --token TOKEN "
                + $"--name NAME --data-dir {dataDir} (the old state is moved to {dataDir}/{ArchiveName}-...), or use another data directory");
        }

        string? archive = DataDirArchive.MoveAside(dataDir, ArchiveName);
        return archive is null ? null : $"moved the state of the cluster this node left to {archive}";
    }
}
