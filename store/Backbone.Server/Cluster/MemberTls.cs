using Backbone.Client;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Backbone.Server.Tls;

namespace Backbone.Server.Cluster;

/// <summary>
/// How this node calls other nodes' client ports when they serve TLS (https:// client URLs): the
/// members' <see cref="GrpcPeerLink"/> and a worker's <see cref="ManagerProxy"/>. It presents its
/// node certificate (the cluster CA signed it, so a node running with --client-ca accepts it), and
/// accepts a server certificate that
/// <list type="bullet">
/// <item>the system trusts for the address called, or</item>
/// <item>the cluster CA signed (no name check, as on the peer port: issuance proves membership), or</item>
/// <item>chains to this node's --client-ca bundle and names the address called.</item>
/// </list>
/// Cleartext (http://) client URLs never get here: they are called exactly as before TLS existed.
/// </summary>
public sealed class MemberTls(NodeKeys keys, X509Certificate2Collection? clientCas)
{
    // Loaded at the first handshake that needs them: a joining node gets them only during its join.
    private X509Certificate2? nodeCertificate;
    private X509Certificate2Collection? clusterCa;
    private X509Certificate2? joinServerCertificate;

    /// <summary>The certificate the member a join went through presented (its client port's), for <see cref="WouldTrust"/>; null before any https join call.</summary>
    public X509Certificate2? JoinServerCertificate => Volatile.Read(ref joinServerCertificate);

    /// <summary>TLS options for calls between members (and from a worker to the managers).</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        LocalCertificateSelectionCallback = (_, _, _, _, _) => NodeCertificate()!, // null: no certificate yet (the protocol allows it)
        RemoteCertificateValidationCallback = (_, certificate, chain, errors) => TrustsServer(certificate, chain, errors),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>
    /// TLS options for a join's calls (Join, AddVoter), made before this node knows the cluster CA:
    /// any server certificate is taken, because the join token authenticates the answer itself
    /// (an HMAC under the token's secret, and the CA digest the token pins), exactly as over a
    /// cleartext port. No client certificate is needed (see ClientCertificateGate). The certificate
    /// is kept: once certified, the node checks that it will trust it later (<see cref="JoinServerCertificate"/>).
    /// </summary>
    public SslClientAuthenticationOptions JoinOptions() => new()
    {
        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is not null)
            {
                Volatile.Write(ref joinServerCertificate, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            }

            return true;
        },
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>
    /// How long a connection with calls in flight may go without hearing from the member before an
    /// HTTP/2 PING asks, and how long the answer may take. A member frozen with its sockets open (a
    /// SIGSTOP, a hung VM, a partition that drops packets) never closes its connections, so without
    /// the ping a worker's watch on it would wait forever and the worker's DNS and agent go stale;
    /// with it the calls fail within about six seconds and their callers move to another manager,
    /// inside the node lease's 10 s. The answer's allowance is the larger, for a member that is
    /// only very busy (its PING answers wait for a thread like everything else).
    /// </summary>
    public static readonly TimeSpan PingAfter = TimeSpan.FromSeconds(2);

    /// <inheritdoc cref="PingAfter"/>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(4);

    /// <summary>A handler for gRPC channels to other members, over <paramref name="ssl"/> (null: cleartext).</summary>
    public static SocketsHttpHandler Handler(SslClientAuthenticationOptions? ssl) => new()
    {
        EnableMultipleHttp2Connections = true, // as grpc-dotnet's own handler: past 100 streams, a second connection
        SslOptions = ssl ?? new SslClientAuthenticationOptions(),
        KeepAlivePingDelay = PingAfter,
        KeepAlivePingTimeout = PingTimeout,
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests, // an idle connection costs nothing
    };

    /// <summary>
    /// Whether another member, trusting as this one does, would accept <paramref name="certificate"/>
    /// (this node's own client port certificate) when it calls <paramref name="host"/>: checked at
    /// start, because a refusal later shows only as forwarded writes that time out.
    /// </summary>
    public bool WouldTrust(X509Certificate2 certificate, X509Certificate2Collection sentChain, string host)
    {
        bool named = certificate.MatchesHostname(host);
        using var system = new X509Chain();
        system.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        system.ChainPolicy.ExtraStore.AddRange(sentChain);
        system.ChainPolicy.ApplicationPolicy.Add(CertificateChains.ServerAuth);
        return (named && system.Build(certificate))
            || (ClusterCa() is { } ca && CertificateChains.ChainsTo(certificate, ca, CertificateChains.ServerAuth))
            || (named && clientCas is not null && CertificateChains.ChainsTo(certificate, clientCas, CertificateChains.ServerAuth));
    }

    private bool TrustsServer(X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true; // the system trusts it, for this address
        }

        if (presented is null)
        {
            return false;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        if (ClusterCa() is { } ca && CertificateChains.ChainsTo(leaf, ca, CertificateChains.ServerAuth, chain))
        {
            return true;
        }

        return clientCas is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
            && CertificateChains.ChainsTo(leaf, clientCas, CertificateChains.ServerAuth, chain);
    }

    private X509Certificate2? NodeCertificate()
    {
        if (Volatile.Read(ref nodeCertificate) is { } known)
        {
            return known;
        }

        if (!keys.HasCertificate)
        {
            return null;
        }

        X509Certificate2 loaded = keys.Certificate();
        return Interlocked.CompareExchange(ref nodeCertificate, loaded, null) ?? loaded;
    }

    private X509Certificate2Collection? ClusterCa()
    {
        if (Volatile.Read(ref clusterCa) is { } known)
        {
            return known;
        }

        if (!keys.HasCertificate)
        {
            return null;
        }

        X509Certificate2Collection loaded = [keys.CaCertificate()];
        return Interlocked.CompareExchange(ref clusterCa, loaded, null) ?? loaded;
    }
}
