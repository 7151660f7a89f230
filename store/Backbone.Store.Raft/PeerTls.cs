using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DotNext.Net.Security;

namespace Backbone.Store.Raft;

/// <summary>
/// Mutual TLS between managers: each side presents the certificate the cluster CA signed for it
/// and accepts the other only if its chain ends at that CA. Host names are not checked (members
/// are addressed by IP and the CA is private to the cluster); issuance is what proves membership.
/// A node with a certificate from another cluster, or none, cannot complete a handshake.
/// </summary>
internal static class PeerTls
{
    public static SslOptions Create(X509Certificate2 certificate, X509Certificate2 clusterCa)
    {
        bool Validate(object sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors) =>
            presented is not null && IssuedBy(presented, clusterCa);

        return new SslOptions
        {
            ServerOptions = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = Validate,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
            ClientOptions = new SslClientAuthenticationOptions
            {
                TargetHost = "backbone-peer",
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = Validate,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
        };
    }

    private static bool IssuedBy(X509Certificate presented, X509Certificate2 clusterCa)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(clusterCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
