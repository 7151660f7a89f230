using System.Net;

namespace Backbone.Overlay.Membership;

/// <summary>
/// A member as the store knows it: its node id and where its detector listens (UDP and TCP on
/// the same port, 7946 by default). The id is what messages name; the endpoint is only where
/// they are sent, so a different node answering at a known endpoint is not mistaken for it.
/// </summary>
public sealed record MemberAddress(string NodeId, IPEndPoint EndPoint)
{
    /// <summary>Node ids travel as length-prefixed UTF-8 (one length byte); this bounds every message.</summary>
    public const int MaxNodeIdBytes = 128;

    /// <summary>Throws <see cref="ArgumentException"/> when the id is empty or longer than <see cref="MaxNodeIdBytes"/> in UTF-8.</summary>
    public static void RequireValidNodeId(string nodeId, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(nodeId, parameterName);
        int bytes = System.Text.Encoding.UTF8.GetByteCount(nodeId);
        if (bytes == 0 || bytes > MaxNodeIdBytes)
        {
            throw new ArgumentException($"a node id is 1 to {MaxNodeIdBytes} bytes of UTF-8, not {bytes}: '{nodeId}'", parameterName);
        }
    }
}
