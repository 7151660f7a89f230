using System.Security.Cryptography;

namespace Backbone.Server.Cluster;

/// <summary>What a join token admits: a Raft voter or a client-only node.</summary>
public enum JoinRole
{
    Manager,
    Worker,
}

/// <summary>
/// A join token in Docker's spirit: <c>BBTKN-1-&lt;ca-digest&gt;-&lt;secret&gt;</c>. The digest
/// pins the cluster's CA; the secret (one for managers, one for workers) proves the joiner was
/// given the token. The secret never travels: joins carry an HMAC of the request under it
/// (<see cref="JoinProof"/>).
/// </summary>
public sealed record JoinToken(string CaDigest, string Secret)
{
    public const string Prefix = "BBTKN-1-";
    private const int SecretLength = 25;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public override string ToString() => $"{Prefix}{CaDigest}-{Secret}";

    public static string NewSecret() => RandomNumberGenerator.GetString(Alphabet, SecretLength);

    /// <summary>Parses a token; the exception message says what is wrong with it and never echoes the secret.</summary>
    public static JoinToken Parse(string text)
    {
        string token = text.Trim();
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"a join token starts with {Prefix} (get one with: backbone swarm join-token manager|worker)");
        }

        string[] parts = token[Prefix.Length..].Split('-');
        if (parts.Length != 2 || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit))
        {
            throw new FormatException("the join token is malformed: expected BBTKN-1-<64 hex digits>-<secret>");
        }

        if (parts[1].Length != SecretLength || !parts[1].All(c => Alphabet.Contains(c, StringComparison.Ordinal)))
        {
            throw new FormatException("the join token's secret is malformed (was it cut when copied?)");
        }

        return new JoinToken(parts[0].ToLowerInvariant(), parts[1]);
    }
}
