using System.Security.Cryptography;
using System.Text;

namespace Backbone.Overlay.Membership;

/// <summary>The shared key that authenticates probe traffic.</summary>
public static class MembershipKey
{
    /// <summary>Shorter keys are refused: HMAC-SHA256 wants at least 128 bits of secret to be worth it.</summary>
    public const int MinBytes = 16;

    /// <summary>The key's length as derived: SHA-256's output size.</summary>
    public const int Bytes = 32;

    /// <summary>
    /// A key for probe traffic from a cluster secret (HKDF-SHA256 with its own label), so the
    /// secret itself never signs datagrams and other uses of it get unrelated keys. Every member
    /// derives the same key from the same secret.
    /// </summary>
    public static byte[] Derive(ReadOnlySpan<byte> clusterSecret)
    {
        if (clusterSecret.Length < MinBytes)
        {
            throw new ArgumentException($"a cluster secret of at least {MinBytes} bytes is needed, not {clusterSecret.Length}", nameof(clusterSecret));
        }

        byte[] key = new byte[Bytes];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterSecret, key, salt: [], info: "backbone membership 7946 v1"u8);
        return key;
    }

    /// <summary>Convenience for a text secret (a join token, say): its UTF-8 bytes, then <see cref="Derive(ReadOnlySpan{byte})"/>.</summary>
    public static byte[] Derive(string clusterSecret) => Derive(Encoding.UTF8.GetBytes(clusterSecret));
}
