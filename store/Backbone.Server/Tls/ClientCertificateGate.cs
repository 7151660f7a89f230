using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backbone.Server.Tls;

/// <summary>
/// With <c>--client-ca</c>, a call without a client certificate is answered with gRPC's
/// UNAUTHENTICATED and a message saying what to pass. The TLS layer only asks for a certificate
/// (Kestrel's AllowCertificate; one that is presented is checked there by
/// <see cref="ClientCertificateTrust"/>) instead of requiring one, for two reasons:
/// <list type="bullet">
/// <item>a joining node has no certificate yet: its Join and AddVoter calls get through without
/// one. The join token authenticates them (an HMAC over every field, a nonce, the CA digest),
/// exactly as on a cleartext port; they reveal nothing without the token's secret.</item>
/// <item>a refused handshake reaches etcdctl as "context deadline exceeded"; this message says
/// what is missing and how to fix it.</item>
/// </list>
/// </summary>
public static class ClientCertificateGate
{
    /// <summary>The calls a node makes before it has a certificate of the cluster.</summary>
    private static readonly string[] JoinPaths = ["/backbone.peer.Peer/Join", "/backbone.peer.Peer/AddVoter"];

    private const string Unauthenticated = "16"; // grpc-status UNAUTHENTICATED

    public const string Message = "this node requires a client certificate (it runs with --client-ca): "
        + "pass --cert FILE --key FILE (etcdctl and backbone alike) with a certificate signed by that CA";

    /// <summary>Adds the gate in front of every endpoint of <paramref name="app"/> (a node's services, or a worker's proxy).</summary>
    public static void UseClientCertificateGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Connection.ClientCertificate is not null || IsJoin(context.Request.Path))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            // A trailers-only gRPC answer: the status rides in the headers, and there is no body.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = Unauthenticated;
            context.Response.Headers["grpc-message"] = Message; // printable ASCII, no '%': needs no percent-encoding
        });

    private static bool IsJoin(PathString path)
    {
        foreach (string join in JoinPaths)
        {
            if (path.Equals(join, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
