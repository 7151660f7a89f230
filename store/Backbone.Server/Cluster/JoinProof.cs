using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backbone.Api.Peer;

namespace Backbone.Server.Cluster;

/// <summary>
/// Authenticates a join without sending the token's secret: the joiner sends an HMAC-SHA256,
/// under the secret, of every field of its request (name, ids, addresses, signing request, time,
/// nonce); the leader recomputes it with each role's secret. The leader's answer carries an HMAC
/// of its own fields, so the joiner knows it came from a holder of the secret. A captured request
/// cannot be altered (the HMAC covers it) or replayed (nonces are recorded in the store, and a
/// request older than <see cref="MaxAge"/> is refused).
/// </summary>
public static class JoinProof
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    public static byte[] ForRequest(string secret, JoinRequest request) => Mac(secret, "join-request",
        request.Name, request.MemberId.ToString(CultureInfo.InvariantCulture), request.PeerAddress, request.ClientUrl,
        request.Role, Convert.ToBase64String(request.SigningRequest.Span), request.UnixMs.ToString(CultureInfo.InvariantCulture),
        Convert.ToBase64String(request.Nonce.Span));

    public static byte[] ForResponse(string secret, JoinRequest request, JoinResponse response) => Mac(secret, "join-response",
        Convert.ToBase64String(request.Nonce.Span), response.ClusterId.ToString(CultureInfo.InvariantCulture), response.CaCertificatePem,
        response.NodeCertificatePem, string.Join(',', response.MemberClientUrls), response.Role, string.Join(',', response.MemberPeerAddresses));

    public static byte[] ForAddVoter(string secret, AddVoterRequest request) => Mac(secret, "add-voter",
        request.MemberId.ToString(CultureInfo.InvariantCulture), request.PeerAddress, Convert.ToBase64String(request.Nonce.Span));

    public static bool Matches(byte[] expected, ReadOnlySpan<byte> actual) => CryptographicOperations.FixedTimeEquals(expected, actual);

    private static byte[] Mac(string secret, params string[] fields)
    {
        var text = new StringBuilder();
        foreach (string field in fields)
        {
            // Length-prefixed, so no two different field lists encode alike.
            text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('|');
        }

        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text.ToString()));
    }
}
