using System.Net.Sockets;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// What a failed call to another member says about where the request got: the one place that
/// reads gRPC's status codes and their HTTP causes, so every caller draws the same line between
/// "never sent", "the way there broke" and "the member answered".
/// </summary>
public static class RpcFailure
{
    /// <summary>
    /// The call failed before any connection existed (refused, unreachable, TLS handshake refused):
    /// the request never left, so sending it elsewhere cannot apply it twice. gRPC's balancer
    /// connects the socket itself and reports its failure as the SocketException; the TLS
    /// handshake, and the HTTP handler's own connects, come as an HttpRequestException.
    /// </summary>
    public static bool NeverConnected(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        && e.Status.DebugException is SocketException
            or HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError };

    /// <summary>
    /// The member cannot be reached or stopped answering: refused or reset (Unavailable, which a
    /// member also sends itself for "no leader"), or a connection the HTTP/2 keep-alive ping gave
    /// up on (a frozen member: Internal, from the HTTP layer). Not an answer about the request.
    /// </summary>
    public static bool Unreachable(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || (e.StatusCode == StatusCode.Internal && e.Status.DebugException is HttpRequestException or HttpProtocolException or IOException);
}
