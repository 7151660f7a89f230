namespace Backbone.Client;

/// <summary>
/// TLS settings of a client, as etcdctl's flags: <c>--cacert</c> (PEM bundle of CAs that may sign
/// the servers' certificates, besides the system's), <c>--cert</c> and <c>--key</c> (a client
/// certificate, for servers that require one). Setting any of them makes endpoints written
/// without a scheme https://, as etcdctl does; endpoints written http:// stay cleartext.
/// </summary>
public sealed record ClientTlsOptions
{
    public string? CaCertFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public bool IsSet => CaCertFile is not null || CertFile is not null || KeyFile is not null;
}
