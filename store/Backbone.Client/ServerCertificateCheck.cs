using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Client;

/// <summary>
/// The client side of TLS for one <see cref="BackboneClient"/>: accepts a server certificate that
/// names the host dialled and chains to the system's CAs or to a CA of <c>--cacert</c>; presents
/// <c>--cert</c> when the server asks. Remembers why it refused the last certificate, because the
/// exception a refused handshake raises says only that a callback refused it.
/// </summary>
internal sealed class ServerCertificateCheck
{
    private readonly X509Certificate2Collection? roots;
    private readonly X509Certificate2? clientCertificate;
    private string? lastProblem;

    private ServerCertificateCheck(X509Certificate2Collection? roots, X509Certificate2? clientCertificate)
    {
        this.roots = roots;
        this.clientCertificate = clientCertificate;
    }

    /// <summary>Why the last refused server certificate was refused, and the fix; null when none was.</summary>
    public string? LastProblem => Volatile.Read(ref lastProblem);

    /// <summary>Reads the files <paramref name="options"/> names; an <see cref="ArgumentException"/> names the flag and the fix.</summary>
    public static ServerCertificateCheck Load(ClientTlsOptions? options)
    {
        X509Certificate2Collection? roots = null;
        if (options?.CaCertFile is { } caFile)
        {
            roots = [];
            roots.ImportFromPem(Read(caFile, "--cacert"));
            if (roots.Count == 0)
            {
                throw new ArgumentException($"--cacert {caFile} holds no PEM certificate: pass the CA certificate that signed the server's");
            }
        }

        X509Certificate2? certificate = null;
        if (options?.CertFile is not null || options?.KeyFile is not null)
        {
            string certFile = options.CertFile ?? throw new ArgumentException("--key needs --cert: pass the client certificate with its key");
            string keyFile = options.KeyFile ?? throw new ArgumentException("--cert needs --key: pass the private key of the client certificate with it");
            certificate = ClientCertificate(certFile, keyFile);
        }

        return new ServerCertificateCheck(roots, certificate);
    }

    public SslClientAuthenticationOptions SslOptions() => new()
    {
        RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Accepts(certificate, chain, errors),
        LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!, // null: none to present
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private bool Accepts(X509Certificate? presented, X509Chain? sent, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (presented is null)
        {
            Volatile.Write(ref lastProblem, "it sent no certificate");
            return false;
        }

        bool named = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        if (named && roots is not null && ChainsToRoots(presented, sent))
        {
            return true;
        }

        Volatile.Write(ref lastProblem, !named
            ? $"it does not name the host dialled (its subject: {presented.Subject}). Dial an address the certificate names, as IP or DNS name"
            : roots is null ? $"it is signed by {presented.Issuer}, a CA this system does not trust. Pass --cacert FILE with that CA's certificate"
            : $"it is signed by {presented.Issuer}, which is neither in --cacert nor trusted by this system. Pass --cacert FILE with that CA's certificate");
        return false;
    }

    private bool ChainsToRoots(X509Certificate presented, X509Chain? sent)
    {
        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return CertificateChains.ChainsTo(leaf, roots!, CertificateChains.ServerAuth, sent);
    }

    private static X509Certificate2 ClientCertificate(string certFile, string keyFile)
    {
        string certPem = Read(certFile, "--cert");
        string keyPem = Read(keyFile, "--key");
        try
        {
            return X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"--key {keyFile} is not the private key of the certificate in --cert {certFile}: pass the key made with it");
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"--cert {certFile} and --key {keyFile} do not hold a PEM certificate and its unencrypted private key ({e.Message})");
        }
    }

    private static string Read(string path, string flag)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{flag} {path} cannot be read: {e.Message}");
        }
    }
}
