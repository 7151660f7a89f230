using System.Text.Json;

namespace Backbone.Store.Raft;

/// <summary>
/// Which Raft entry the store's last durable state covers: the index and term DotNext needs to
/// replay after it, truncate the log behind it, and match the next entries against it. Kept in
/// <c>DATA/raft/snapshot.json</c>, written only after the FASTER checkpoint that holds the state.
/// </summary>
internal sealed record SnapshotDescriptor(long Index, long Term)
{
    private const string FileName = "snapshot.json";

    public static SnapshotDescriptor? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<SnapshotDescriptor>(File.ReadAllText(path)) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new StoreCorruptException(path, $"cannot read the snapshot descriptor: {e.Message}", e);
        }
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, this);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
