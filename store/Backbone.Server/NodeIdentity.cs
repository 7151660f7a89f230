using System.Security.Cryptography;
using System.Text.Json;

namespace Backbone.Server;

/// <summary>
/// Who this node is: name, cluster id and member id, made once at first start and kept in
/// <c>DATA/member.json</c> so that a restart answers with the same ids.
/// </summary>
public sealed record NodeIdentity(string Name, ulong ClusterId, ulong MemberId)
{
    private const string FileName = "member.json";

    public static NodeIdentity LoadOrCreate(string dataDir, string? name)
    {
        string path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            NodeIdentity stored;
            try
            {
                stored = JsonSerializer.Deserialize<NodeIdentity>(File.ReadAllText(path))
                    ?? throw new JsonException("empty document");
            }
            catch (JsonException e)
            {
                throw new Store.StoreCorruptException(path, $"cannot read the node identity: {e.Message}", e);
            }

            if (name is not null && name != stored.Name)
            {
                throw new InvalidOperationException(
                    $"{dataDir} belongs to node '{stored.Name}', not '{name}': pass --name {stored.Name} or use another --data-dir");
            }

            return stored;
        }

        Directory.CreateDirectory(dataDir);
        NodeIdentity created = new(name ?? "default", RandomId(), RandomId());
        created.Save(dataDir);
        return created;
    }

    /// <summary>Writes the identity (atomically); a joining node saves the cluster id it was given.</summary>
    public void Save(string dataDir)
    {
        string path = Path.Combine(dataDir, FileName);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this));
        File.Move(temp, path, overwrite: true);
    }

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) | 1; // never 0: etcd treats 0 as "no member"
    }
}
