using System.Globalization;
using Google.Protobuf;

namespace Backbone.Bench;

/// <summary>The K keys a run touches, built once so the hot loop allocates no key bytes.</summary>
public sealed class KeySet
{
    private readonly ByteString[] keys;

    public KeySet(string prefix, int count)
    {
        Prefix = ByteString.CopyFromUtf8(prefix);
        keys = new ByteString[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = ByteString.CopyFromUtf8(prefix + i.ToString("D8", CultureInfo.InvariantCulture));
        }
    }

    public ByteString Prefix { get; }

    /// <summary>etcd's range end for "every key with this prefix": the prefix with its last byte + 1.</summary>
    public ByteString PrefixEnd
    {
        get
        {
            byte[] end = Prefix.ToByteArray();
            end[^1]++;
            return ByteString.CopyFrom(end);
        }
    }

    public int Count => keys.Length;

    public ByteString this[int index] => keys[index];
}
