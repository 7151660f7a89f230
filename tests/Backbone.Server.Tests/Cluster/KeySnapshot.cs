using System.Text;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Server.Tests.Cluster;

/// <summary>Every key under a prefix as one member returned it, in key order, with the header's revision.</summary>
public sealed class KeySnapshot
{
    private KeySnapshot(int member, long revision, IReadOnlyList<StoredKey> keys)
    {
        Member = member;
        Revision = revision;
        Keys = keys;
        ByKey = keys.ToDictionary(k => k.Key, StringComparer.Ordinal);
    }

    /// <summary>Index of the member that answered.</summary>
    public int Member { get; }

    /// <summary>The store revision in the response header.</summary>
    public long Revision { get; }

    public IReadOnlyList<StoredKey> Keys { get; }

    public IReadOnlyDictionary<string, StoredKey> ByKey { get; }

    /// <summary>The Range request for every key under <paramref name="prefix"/> ([prefix, prefix+1)).</summary>
    public static RangeRequest PrefixRange(string prefix, bool serializable)
    {
        byte[] end = Encoding.UTF8.GetBytes(prefix);
        end[^1]++;
        return new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFrom(end), Serializable = serializable };
    }

    public static KeySnapshot From(int member, RangeResponse response) =>
        new(member, response.Header.Revision,
            [.. response.Kvs.Select(kv => new StoredKey(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Version))]);

    /// <summary>Same keys with the same values and revisions (the header revision may differ).</summary>
    public bool SameKeysAs(KeySnapshot other) => Keys.SequenceEqual(other.Keys);

    /// <summary>The first few differences with <paramref name="other"/>, for an assertion message.</summary>
    public string DescribeDifference(KeySnapshot other, int max = 8)
    {
        List<string> lines = [$"member #{Member}: {Keys.Count} keys at revision {Revision}; member #{other.Member}: {other.Keys.Count} keys at revision {other.Revision}"];
        foreach (string key in ByKey.Keys.Union(other.ByKey.Keys).Order(StringComparer.Ordinal))
        {
            bool mine = ByKey.TryGetValue(key, out StoredKey a);
            bool theirs = other.ByKey.TryGetValue(key, out StoredKey b);
            if (mine != theirs || a != b)
            {
                lines.Add($"  {key}: #{Member} {(mine ? a.ToString() : "absent")} / #{other.Member} {(theirs ? b.ToString() : "absent")}");
                if (lines.Count > max)
                {
                    break;
                }
            }
        }

        return string.Join('\n', lines);
    }
}
