using System.Globalization;

namespace Backbone.Server.Cluster;

/// <summary>
/// Keeps state a node no longer uses instead of deleting it ("no data lost"): moves entries of a
/// data directory into a new subdirectory <c>NAME-yyyyMMdd-HHmmss</c>. A demoted manager's store
/// and Raft log (<see cref="StoreEntries"/>), a left node's whole state go there.
/// </summary>
public static class DataDirArchive
{
    /// <summary>What a manager holds beyond a worker: the Raft state, the store (FASTER) and a standalone store's log.</summary>
    public static readonly string[] StoreEntries = ["raft", "faster", "wal"];

    /// <summary>
    /// Moves the entries <paramref name="only"/> names (every entry when null; never earlier
    /// archives) aside; returns the archive's path, or null when none was there.
    /// </summary>
    public static string? MoveAside(string dataDir, string name, IReadOnlyCollection<string>? only = null)
    {
        string[] entries = [.. Directory.EnumerateFileSystemEntries(dataDir)
            .Where(path => (only is null || only.Contains(Path.GetFileName(path))) && !IsArchive(path))];
        if (entries.Length == 0)
        {
            return null;
        }

        string archive = Path.Combine(dataDir, $"{name}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        for (int n = 2; Directory.Exists(archive); n++)
        {
            archive = Path.Combine(dataDir, $"{name}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{n}");
        }

        Directory.CreateDirectory(archive);
        foreach (string entry in entries)
        {
            string target = Path.Combine(archive, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                Directory.Move(entry, target);
            }
            else
            {
                File.Move(entry, target);
            }
        }

        return archive;
    }

    /// <summary>An earlier archive: a directory (the marker file left-cluster.json is not one) named as archives are.</summary>
    private static bool IsArchive(string path)
    {
        string name = Path.GetFileName(path);
        return Directory.Exists(path)
            && (name.StartsWith(LeftCluster.ArchiveName + "-", StringComparison.Ordinal) || name.StartsWith(FormerManagerArchive + "-", StringComparison.Ordinal));
    }

    /// <summary>Where a demoted manager's store and Raft state go.</summary>
    public const string FormerManagerArchive = "former-manager";
}
