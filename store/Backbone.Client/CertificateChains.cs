using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Client;

/// <summary>Chain checks against a private set of roots (the cluster CA, a --client-ca bundle), never the system's.</summary>
public static class CertificateChains
{
    /// <summary>TLS web server authentication (id-kp-serverAuth).</summary>
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    /// <summary>TLS web client authentication (id-kp-clientAuth).</summary>
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Whether <paramref name="presented"/> chains to one of <paramref name="roots"/> and may be used
    /// for <paramref name="purpose"/> (a certificate without an extended key usage may be used for
    /// any). <paramref name="intermediates"/> are what the peer sent beside it. Revocation is not
    /// checked: these CAs publish no revocation lists (as PeerTls, and etcd with no CRL file).
    /// </summary>
    public static bool ChainsTo(X509Certificate2 presented, X509Certificate2Collection roots, Oid purpose, X509Chain? intermediates = null)
    {
        if (roots.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(purpose);
        if (intermediates is not null)
        {
            foreach (X509ChainElement element in intermediates.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(presented);
    }
}
