using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Server.Tls;

/// <summary>
/// The client port's TLS material, read and checked once at start from the files
/// <see cref="ClientTlsSettings"/> names: the certificate with its private key, the intermediates
/// that follow it in the same file (sent with it), and the CAs client certificates must chain to.
/// Every problem is an <see cref="ArgumentException"/> naming the flag, the file and the fix, so
/// that a node never starts serving with a key that cannot complete a handshake.
/// </summary>
public sealed class ClientTlsCredentials
{
    private ClientTlsCredentials(ClientTlsSettings settings, X509Certificate2 certificate, X509Certificate2Collection chain, X509Certificate2Collection? clientCas)
    {
        Settings = settings;
        Certificate = certificate;
        Chain = chain;
        ClientCas = clientCas;
    }

    public ClientTlsSettings Settings { get; }

    /// <summary>The client port's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificates after the first in <c>--client-cert</c> (intermediates), sent with it.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>What client certificates must chain to (<c>--client-ca</c>); null when none is asked for.</summary>
    public X509Certificate2Collection? ClientCas { get; }

    public bool RequiresClientCertificates => ClientCas is not null;

    /// <summary>
    /// Reads and checks the files. <paramref name="note"/> gets what will not stop the node but will
    /// stop clients (an expired certificate, one that does not name <paramref name="advertised"/>).
    /// </summary>
    public static ClientTlsCredentials Load(ClientTlsSettings settings, IPAddress? advertised, Action<string> note)
    {
        string certFlag = $"--client-cert {settings.CertFile}{settings.Origin}";
        string keyFlag = $"--client-key {settings.KeyFile}{settings.Origin}";
        string certPem = Read(settings.CertFile, certFlag);
        string keyPem = Read(settings.KeyFile, keyFlag);

        var all = new X509Certificate2Collection();
        all.ImportFromPem(certPem);
        if (all.Count == 0)
        {
            throw new ArgumentException($"{certFlag} holds no PEM certificate (-----BEGIN CERTIFICATE-----): pass the certificate the client port serves");
        }

        X509Certificate2 certificate = WithKey(certPem, keyPem, certFlag, keyFlag);
        X509Certificate2Collection chain = [.. all.Skip(1)];
        Check(certificate, certFlag, advertised, note);

        X509Certificate2Collection? clientCas = null;
        if (settings.CaFile is { } caFile)
        {
            string caFlag = $"--client-ca {caFile}{settings.Origin}";
            clientCas = [];
            clientCas.ImportFromPem(Read(caFile, caFlag));
            if (clientCas.Count == 0)
            {
                throw new ArgumentException($"{caFlag} holds no PEM certificate: pass the CA certificate(s) that sign your clients' certificates");
            }
        }

        return new ClientTlsCredentials(settings, certificate, chain, clientCas);
    }

    private static string Read(string path, string flag)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"{flag}: no such file. Pass the right path, or make the file (docs/cluster.md, \"Client TLS\")");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{flag} cannot be read ({e.Message}): let the user running the node read it");
        }
    }

    /// <summary>The certificate with its key; which check failed decides the message.</summary>
    private static X509Certificate2 WithKey(string certPem, string keyPem, string certFlag, string keyFlag)
    {
        if (keyPem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{keyFlag} is encrypted, and the node cannot ask for a passphrase: "
                + "pass an unencrypted copy (openssl pkey -in KEY -out PLAIN.key), readable by the node's user only");
        }

        try
        {
            return X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (ArgumentException)
        {
            // The key parsed, as the certificate's algorithm, but its public half differs.
            throw new ArgumentException($"{keyFlag} is not the private key of the certificate in {certFlag}: "
                + "pass the key that was made with that certificate (compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)");
        }
        catch (CryptographicException) when (keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{keyFlag} is not the private key of the certificate in {certFlag} (a key of another algorithm): "
                + "pass the key that was made with that certificate");
        }
        catch (CryptographicException)
        {
            throw new ArgumentException($"{keyFlag} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC): pass the key of the client port's certificate");
        }
    }

    private static void Check(X509Certificate2 certificate, string certFlag, IPAddress? advertised, Action<string> note)
    {
        DateTime now = DateTime.Now;
        if (now > certificate.NotAfter || now < certificate.NotBefore)
        {
            note($"{certFlag} is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u} only: clients will refuse it until it is renewed");
        }

        if (advertised is not null && !advertised.Equals(IPAddress.Any) && !advertised.Equals(IPAddress.IPv6Any)
            && !certificate.MatchesHostname(advertised.ToString()))
        {
            note($"{certFlag} does not name {advertised} (no such IP address in its subject alternative names): "
                + "clients that check names (etcdctl, the other members) will refuse it. Add the IP to the certificate");
        }
    }
}
