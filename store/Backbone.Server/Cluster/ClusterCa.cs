using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Server.Cluster;

/// <summary>
/// The cluster's certificate authority: made once at init (ECDSA P-256, self-signed), it signs
/// every member's certificate; peers accept only certificates it signed. Its digest (SHA-256 of
/// the certificate) is the middle of every join token, so a joining node can tell the real
/// cluster from an impostor before trusting anything it says.
/// </summary>
public sealed class ClusterCa
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan NodeLifetime = TimeSpan.FromDays(365);

    private ClusterCa(string certificatePem, string keyPem)
    {
        CertificatePem = certificatePem;
        KeyPem = keyPem;
        Certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        Digest = DigestOf(Certificate);
    }

    public string CertificatePem { get; }

    public string KeyPem { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>Lowercase hex SHA-256 of the CA certificate (DER).</summary>
    public string Digest { get; }

    public static ClusterCa Create(ulong clusterId)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=backbone-ca-{clusterId:x16}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(CaLifetime));
        return new ClusterCa(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static ClusterCa Load(string certificatePem, string keyPem) => new(certificatePem, keyPem);

    public static string DigestOf(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>
    /// Signs a member's certificate for the public key in <paramref name="signingRequestDer"/>,
    /// valid for TLS server and client use at <paramref name="peerAddress"/>.
    /// </summary>
    public string SignNodeCertificate(byte[] signingRequestDer, string name, ulong memberId, IPAddress peerAddress)
    {
        CertificateRequest submitted = CertificateRequest.LoadSigningRequest(signingRequestDer, HashAlgorithmName.SHA256,
            CertificateRequestLoadOptions.SkipSignatureValidation | CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        // Only the public key is taken from the request: subject and extensions are ours.
        var request = new CertificateRequest(new X500DistinguishedName($"CN={memberId:x16}, O={name.Replace(",", "", StringComparison.Ordinal)}"),
            submitted.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(peerAddress);
        names.AddDnsName($"member-{memberId:x16}");
        request.CertificateExtensions.Add(names.Build());
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using X509Certificate2 signed = request.Create(Certificate, now.AddMinutes(-5), Min(now.Add(NodeLifetime), Certificate.NotAfter), serial);
        return signed.ExportCertificatePem();
    }

    /// <summary>Whether <paramref name="certificate"/> was signed by this CA (and is in its validity period).</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
