using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Server.Tests.Support;

/// <summary>
/// A throwaway PKI for the client TLS tests, as PEM files in a temporary directory (removed on
/// dispose): a CA; a server certificate for 127.0.0.1 that it signed; a client certificate it
/// signed; and a stranger, a client certificate of another CA, that nodes must refuse. Made with
/// <see cref="CertificateRequest"/>, nothing from disk or the network.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestCertificates(string dir)
    {
        Dir = dir;
    }

    public string Dir { get; }

    public string CaFile => Path.Combine(Dir, "ca.crt");

    public string ServerCertFile => Path.Combine(Dir, "server.crt");

    public string ServerKeyFile => Path.Combine(Dir, "server.key");

    public string ClientCertFile => Path.Combine(Dir, "client.crt");

    public string ClientKeyFile => Path.Combine(Dir, "client.key");

    /// <summary>A key of no certificate here: the wrong --client-key for <see cref="ServerCertFile"/>.</summary>
    public string OtherKeyFile => Path.Combine(Dir, "other.key");

    /// <summary>A client certificate (and its key) signed by another CA.</summary>
    public string StrangerCertFile => Path.Combine(Dir, "stranger.crt");

    public string StrangerKeyFile => Path.Combine(Dir, "stranger.key");

    public static TestCertificates Create()
    {
        TestCertificates made = new(Path.Combine(Path.GetTempPath(), "bbtls-" + Guid.NewGuid().ToString("N")[..12]));
        Directory.CreateDirectory(made.Dir);
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 ca = SelfSignedCa("CN=backbone-test-ca", caKey);
        File.WriteAllText(made.CaFile, ca.ExportCertificatePem());

        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverNames = new SubjectAlternativeNameBuilder();
        serverNames.AddIpAddress(IPAddress.Loopback);
        WriteSigned(ca, "CN=backbone-test-server", serverKey, ServerAuth, serverNames, made.ServerCertFile, made.ServerKeyFile);

        using ECDsa clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(ca, "CN=backbone-test-client", clientKey, ClientAuth, null, made.ClientCertFile, made.ClientKeyFile);

        using ECDsa otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(made.OtherKeyFile, otherKey.ExportPkcs8PrivateKeyPem());

        using ECDsa strangerCaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 strangerCa = SelfSignedCa("CN=some-other-ca", strangerCaKey);
        using ECDsa strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(strangerCa, "CN=stranger", strangerKey, ClientAuth, null, made.StrangerCertFile, made.StrangerKeyFile);
        return made;
    }

    /// <summary>etcdctl's (and backbone's) flags: the CA, and the client certificate when <paramref name="withClientCertificate"/>.</summary>
    public string[] ClientFlags(bool withClientCertificate = true) => withClientCertificate
        ? ["--cacert", CaFile, "--cert", ClientCertFile, "--key", ClientKeyFile]
        : ["--cacert", CaFile];

    /// <summary>The node flags that serve TLS, asking for client certificates of this CA when <paramref name="requireClientCertificates"/>.</summary>
    public string[] NodeFlags(bool requireClientCertificates = true) => requireClientCertificates
        ? ["--client-cert", ServerCertFile, "--client-key", ServerKeyFile, "--client-ca", CaFile]
        : ["--client-cert", ServerCertFile, "--client-key", ServerKeyFile];

    /// <summary>A handler for test gRPC channels: trusts this CA, presents the client certificate.</summary>
    public SocketsHttpHandler Handler()
    {
        X509Certificate2Collection roots = [X509Certificate2.CreateFromPem(File.ReadAllText(CaFile))];
        X509Certificate2 client = X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile);
        return new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private static X509Certificate2 SelfSignedCa(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
    }

    private static void WriteSigned(X509Certificate2 ca, string subject, ECDsa key, Oid usage, SubjectAlternativeNameBuilder? names, string certFile, string keyFile)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (names is not null)
        {
            request.CertificateExtensions.Add(names.Build());
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive: Go (etcdctl) refuses negative serial numbers
        using X509Certificate2 signed = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), serial);
        File.WriteAllText(certFile, signed.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
