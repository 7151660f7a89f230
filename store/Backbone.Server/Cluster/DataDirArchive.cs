using System.Globalization;

namespace Backbone.Server.Cluster;

/// <summary>
/// Keeps state a node no longer uses instead of deleting it ("no data lost"): moves the entries of
/// a data directory, except the ones named, into a new subdirectory <c>NAME-yyyyMMdd-HHmmss</c>.
/// A demoted manager's store and Raft log, a left node's whole state go there.
/// </summary>
public static class DataDirArchive
{
    /// <summary>Moves everything but <paramref name="keep"/> (and earlier archives) aside; returns the archive's path, or null when nothing was there.</summary>
    public static string? MoveAside(string dataDir, string name, params string[] keep)
    {
        string[] entries = [.. Directory.EnumerateFileSystemEntries(dataDir)
            .Where(path => !keep.Contains(Path.GetFileName(path), StringComparer.Ordinal) && !IsArchive(Path.GetFileName(path)))];
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

    private static bool IsArchive(string name) =>
        name.StartsWith(LeftCluster.ArchiveName + "-", StringComparison.Ordinal) || name.StartsWith(FormerManagerArchive + "-", StringComparison.Ordinal);

    /// <summary>Where a demoted manager's store and Raft state go.</summary>
    public const string FormerManagerArchive = "former-manager";
}
