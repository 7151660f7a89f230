using System.Net;
using Backbone.Server.Cluster;

namespace Backbone.Server.Tls;

/// <summary>
/// What a starting node does about client TLS, beside serving it (<see cref="ClientPort"/>):
/// loads the material from the flags or the data directory, checks that members will be able to
/// trust each other's client port certificates (which would otherwise show only as calls timing
/// out), and words the hints it prints with the right address and client flags.
/// </summary>
internal static class ClientTlsStart
{
    /// <summary>
    /// The client port's TLS material: from the flags when given (then kept in the data
    /// directory, once they proved good: a bad flag never replaces settings that work), else from
    /// the data directory; null for cleartext.
    /// </summary>
    public static ClientTlsCredentials? Load(NodeOptions options, ClusterSettings? settings, IPEndPoint endpoint, Action<string> note)
    {
        ClientTlsSettings? given = ClientTlsSettings.FromFlags(options.ClientCertFile, options.ClientKeyFile, options.ClientCaFile);
        ClientTlsSettings? tlsSettings = given ?? ClientTlsSettings.Load(options.DataDir);
        if (tlsSettings is null)
        {
            return null;
        }

        // The address clients are told to use: a member's advertised one, else the one bound.
        IPAddress? advertised = settings is not null ? (IPAddress.TryParse(new Uri(settings.ClientUrl).Host.Trim('[', ']'), out IPAddress? kept) ? kept : null)
            : options.AdvertiseAddr is { } a && IPAddress.TryParse(a, out IPAddress? flagged) ? flagged
            : endpoint.Address;
        ClientTlsCredentials tls = ClientTlsCredentials.Load(tlsSettings, advertised, note);
        given?.Save(options.DataDir);
        return tls;
    }

    /// <summary>What joining nodes and clients pass to reach this member: HOST:PORT in cleartext, its https:// URL with TLS.</summary>
    public static string ClientAddress(NodeOptions options, ClusterSettings settings, ClientTlsCredentials? tls) =>
        tls is null ? options.ListenClient! : settings.ClientUrl;

    /// <summary>The client flags a CLI command needs besides --endpoints to reach this member.</summary>
    public static string ClientFlags(ClientTlsCredentials? tls) =>
        tls is null ? "" : " --cacert CA_FILE" + (tls.RequiresClientCertificates ? " --cert FILE --key FILE" : "");

    /// <summary>
    /// Refuses to go on with a join through an https:// member whose client port certificate this
    /// node would not trust when it calls the managers later (forwarding writes, or passing a
    /// worker's calls): that would show only as calls timing out. Checked once certified, so that
    /// the cluster CA counts too.
    /// </summary>
    public static void RequireTrustOfJoinedMember(string joinAddress, MemberTls memberTls)
    {
        if (memberTls.JoinServerCertificate is { } seen && !memberTls.WouldTrust(seen, [], new Uri(joinAddress).Host.Trim('[', ']')))
        {
            throw new InvalidOperationException($"{joinAddress} serves a client port certificate ({seen.Subject}, issued by {seen.Issuer}) that this node "
                + "would not trust when it calls the managers: pass --client-ca FILE with the CA that signed it (with --client-cert and --client-key, "
                + "as the managers run), or use certificates the system trusts; then run the join again");
        }
    }

    /// <summary>
    /// Says at start when the other members, trusting as this one does, would refuse this
    /// member's client port certificate: otherwise that shows only as forwarded writes timing out.
    /// </summary>
    public static void NoteUntrustedClientCertificate(ClientTlsCredentials? tls, MemberTls memberTls, ClusterSettings settings, Action<string> note)
    {
        string host = new Uri(settings.ClientUrl).Host.Trim('[', ']');
        if (tls is not null && !memberTls.WouldTrust(tls.Certificate, tls.Chain, host))
        {
            note($"the other members will refuse the certificate of this client port ({tls.Settings.CertFile}) when they call {settings.ClientUrl}: "
                + "it must name that IP and chain to the CA of --client-ca (give every member --client-ca with the CA that signs the client port "
                + "certificates), to the system's trusted CAs, or to the cluster CA");
        }
    }
}
