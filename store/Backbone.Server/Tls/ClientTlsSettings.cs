using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backbone.Server.Tls;

/// <summary>
/// Which PEM files make the client port serve TLS: <c>--client-cert</c> and <c>--client-key</c>,
/// and optionally <c>--client-ca</c> (then clients must present a certificate it signed, as etcd's
/// --client-cert-auth with --trusted-ca-file). Kept in <c>DATA/client-tls.json</c> with absolute
/// paths, so that a restart with only <c>--data-dir</c> serves TLS again (standalone nodes,
/// managers and workers alike). The flags of a start replace the whole file: a restart that
/// passes --client-cert and --client-key without --client-ca stops asking for client
/// certificates. No file and no flags: the client port is HTTP/2 cleartext.
/// </summary>
public sealed record ClientTlsSettings
{
    public const string FileName = "client-tls.json";

    /// <summary>Absolute path of the PEM certificate (then any intermediates, sent with it).</summary>
    public required string CertFile { get; init; }

    /// <summary>Absolute path of the PEM private key of <see cref="CertFile"/> (unencrypted).</summary>
    public required string KeyFile { get; init; }

    /// <summary>Absolute path of the PEM bundle client certificates must chain to; null asks for none.</summary>
    public string? CaFile { get; init; }

    /// <summary>Where these settings came from, for error messages: empty for flags, else the kept file.</summary>
    [JsonIgnore]
    public string Origin { get; init; } = "";

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>
    /// The settings the flags give; null when none of them is given. Throws
    /// <see cref="ArgumentException"/> for a combination that cannot work.
    /// </summary>
    public static ClientTlsSettings? FromFlags(string? certFile, string? keyFile, string? caFile)
    {
        if (certFile is null && keyFile is null && caFile is null)
        {
            return null;
        }

        if (certFile is null && keyFile is null)
        {
            throw new ArgumentException(
                "--client-ca asks clients for certificates, which needs TLS on the client port: pass --client-cert FILE and --client-key FILE too");
        }

        if (certFile is null)
        {
            throw new ArgumentException("--client-key needs --client-cert: pass the PEM certificate of the client port with it");
        }

        if (keyFile is null)
        {
            throw new ArgumentException("--client-cert needs --client-key: pass the PEM private key of that certificate with it");
        }

        return new ClientTlsSettings
        {
            CertFile = Absolute(certFile, "--client-cert"),
            KeyFile = Absolute(keyFile, "--client-key"),
            CaFile = caFile is null ? null : Absolute(caFile, "--client-ca"),
        };
    }

    /// <summary>The kept settings, or null when the node serves cleartext.</summary>
    public static ClientTlsSettings? Load(string dataDir)
    {
        string path = PathIn(dataDir);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            ClientTlsSettings settings = JsonSerializer.Deserialize<ClientTlsSettings>(File.ReadAllText(path)) ?? throw new JsonException("empty document");
            return settings with { Origin = $" (kept in {path})" };
        }
        catch (JsonException e)
        {
            // Not a StoreCorruptException: nothing of the store is at stake, and the fix is a flag.
            throw new InvalidOperationException($"{path}: cannot read the client TLS settings ({e.Message}). "
                + "Start the node again with --client-cert and --client-key (they rewrite the file), or delete it to serve cleartext", e);
        }
    }

    /// <summary>Writes the settings (atomically: a crash leaves the old file or the new one).</summary>
    public void Save(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        string path = PathIn(dataDir);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    private static string Absolute(string path, string flag) =>
        string.IsNullOrWhiteSpace(path) ? throw new ArgumentException($"{flag} needs a file name") : Path.GetFullPath(path);
}
