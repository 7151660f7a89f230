using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Server.Cluster;

/// <summary>
/// This node's key pair and, once a CA signed it, its certificate and the CA's: in
/// <c>DATA/pki/</c>. The private key is made here and never leaves the node (joins send a
/// signing request). Files are written with mode 0600.
/// </summary>
public sealed class NodeKeys
{
    private readonly string dir;

    private NodeKeys(string dir, ECDsa key)
    {
        this.dir = dir;
        Key = key;
    }

    public ECDsa Key { get; }

    public string KeyPath => Path.Combine(dir, "node.key");

    public string CertificatePath => Path.Combine(dir, "node.crt");

    public string CaPath => Path.Combine(dir, "ca.crt");

    public bool HasCertificate => File.Exists(CertificatePath) && File.Exists(CaPath);

    public static NodeKeys LoadOrCreate(string dataDir)
    {
        string dir = Path.Combine(dataDir, "pki");
        Directory.CreateDirectory(dir);
        string keyPath = Path.Combine(dir, "node.key");
        ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(keyPath))
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        else
        {
            WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        }

        return new NodeKeys(dir, key);
    }

    public byte[] SigningRequest(string name) =>
        new CertificateRequest($"CN={name.Replace(",", "", StringComparison.Ordinal)}", Key, HashAlgorithmName.SHA256).CreateSigningRequest();

    public void SaveCertificates(string nodeCertificatePem, string caCertificatePem)
    {
        WritePrivate(CaPath, caCertificatePem);
        WritePrivate(CertificatePath, nodeCertificatePem);
    }

    /// <summary>This node's certificate with its private key, for TLS.</summary>
    public X509Certificate2 Certificate() => X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath), File.ReadAllText(KeyPath));

    public X509Certificate2 CaCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(CaPath));

    private static void WritePrivate(string path, string text)
    {
        string temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temp, options))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(text);
            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
