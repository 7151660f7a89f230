using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Backbone.Api.Peer;

namespace Backbone.Server.Cluster;

/// <summary>
/// How a promoted worker proves who it is when it asks for its vote: no token (the operator's
/// <c>node promote</c> is the authority), but a signature with the node's own key over its member
/// id, peer address and the time, and the certificate the cluster CA issued for that member id at
/// its join. A node without a certificate of this cluster cannot become a voter; a captured
/// request is useless to anyone else (it only completes the promotion the operator recorded, for
/// the address recorded at the join) and goes stale after <see cref="JoinProof.MaxAge"/>.
/// </summary>
public static class PromotionProof
{
    public static CompletePromotionRequest Sign(NodeKeys keys, ulong memberId, string peerAddress)
    {
        var request = new CompletePromotionRequest
        {
            MemberId = memberId,
            PeerAddress = peerAddress,
            UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            CertificatePem = File.ReadAllText(keys.CertificatePath),
        };
        request.Signature = Google.Protobuf.ByteString.CopyFrom(keys.Key.SignData(Payload(request), HashAlgorithmName.SHA256));
        return request;
    }

    /// <summary>Null when the request is genuine; else why not.</summary>
    public static string? Check(ClusterCa ca, CompletePromotionRequest request)
    {
        TimeSpan age = (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(request.UnixMs)).Duration();
        if (age > JoinProof.MaxAge)
        {
            return $"the request is {age.TotalSeconds:0} s old or ahead (at most {JoinProof.MaxAge.TotalMinutes:0} min): replayed, or the clocks disagree";
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(request.CertificatePem);
        }
        catch (CryptographicException e)
        {
            return $"its certificate is not readable PEM ({e.Message})";
        }

        using (certificate)
        {
            if (!ca.Issued(certificate))
            {
                return "its certificate was not issued by this cluster's CA (or has expired)";
            }

            string expected = request.MemberId.ToString("x16", CultureInfo.InvariantCulture);
            if (certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) != expected)
            {
                return $"its certificate names another member than {expected}";
            }

            using ECDsa? key = certificate.GetECDsaPublicKey();
            return key is not null && key.VerifyData(Payload(request), request.Signature.Span, HashAlgorithmName.SHA256)
                ? null
                : "its signature does not match its certificate";
        }
    }

    private static byte[] Payload(CompletePromotionRequest request) =>
        Encoding.UTF8.GetBytes($"promote {request.MemberId:x16} {request.PeerAddress} {request.UnixMs.ToString(CultureInfo.InvariantCulture)}");
}
