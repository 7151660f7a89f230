using System.Net;
using System.Security.Cryptography.X509Certificates;
using Backbone.Server.Http2;
using Backbone.Server.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Backbone.Server;

/// <summary>
/// How a node (standalone, manager or worker) serves its client port: HTTP/2 only, cleartext
/// (h2c) or, with <see cref="ClientTlsCredentials"/>, TLS with ALPN h2. Connection middleware runs
/// in the order it is added: TLS first, then the :authority repair, which rewrites HPACK and so
/// must see plaintext HTTP/2 frames.
/// </summary>
public static class ClientPort
{
    /// <summary>Listens on <paramref name="endpoint"/>; <paramref name="clusterCa"/> (members and workers) also signs acceptable client certificates.</summary>
    public static void Listen(WebApplicationBuilder builder, IPEndPoint endpoint, ClientTlsCredentials? tls, X509Certificate2? clusterCa)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http2; // before UseHttps: it takes the protocols it offers in ALPN from here
                if (tls is not null)
                {
                    listen.UseHttps(HttpsOptions(tls, clusterCa));
                }

                listen.UseAuthorityRepair();
            });
            kestrel.Limits.MaxRequestBodySize = null;
            // etcd clients put every watch and keep-alive of a process on one connection.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 65_536;
        });
    }

    /// <summary>With --client-ca, puts <see cref="ClientCertificateGate"/> in front of every endpoint of <paramref name="app"/>.</summary>
    public static void Guard(WebApplication app, ClientTlsCredentials? tls)
    {
        if (tls?.RequiresClientCertificates == true)
        {
            app.UseClientCertificateGate();
        }
    }

    private static HttpsConnectionAdapterOptions HttpsOptions(ClientTlsCredentials tls, X509Certificate2? clusterCa)
    {
        ClientCertificateTrust? trust = tls.ClientCas is { } cas ? new ClientCertificateTrust(cas, clusterCa) : null;
        return new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.Certificate,
            ServerCertificateChain = tls.Chain,
            // Asked for, not required: see ClientCertificateGate for why.
            ClientCertificateMode = trust is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = trust is null ? null : trust.Accepts,
            CheckCertificateRevocation = false,
        };
    }
}
