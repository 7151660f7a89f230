using Backbone.Client;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Server.Tls;

/// <summary>
/// Which client certificates the client port accepts when it asks for them (<c>--client-ca</c>):
/// those chaining to a CA of that bundle, and those the cluster CA signed, because members call
/// each other's client ports (forwarded proposals, read index, lease renewals) and workers pass
/// their clients' calls on, each presenting its node certificate. The chain is all that is
/// checked (no name: a client has none to match), as etcd's --client-cert-auth does.
/// </summary>
public sealed class ClientCertificateTrust
{
    private readonly X509Certificate2Collection roots;

    public ClientCertificateTrust(X509Certificate2Collection clientCas, X509Certificate2? clusterCa)
    {
        roots = [.. clientCas];
        if (clusterCa is not null)
        {
            roots.Add(clusterCa);
        }
    }

    /// <summary>Kestrel's ClientCertificateValidation: called during the handshake for a certificate the client presented.</summary>
    public bool Accepts(X509Certificate2 presented, X509Chain? sent, SslPolicyErrors errors) =>
        CertificateChains.ChainsTo(presented, roots, CertificateChains.ClientAuth, sent);
}
