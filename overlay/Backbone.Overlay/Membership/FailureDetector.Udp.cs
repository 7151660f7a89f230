using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Membership.Protocol;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Membership;

/// <summary>The UDP side: a receiver on its own thread that only queues, and the protocol loop's sends.</summary>
public sealed partial class FailureDetector
{
    /// <summary>Larger than any valid message, so an oversized datagram is seen as such rather than cut to a valid length.</summary>
    private const int ReceiveBufferBytes = 2048;

    /// <summary>Blocking receives until <see cref="DisposeAsync"/> closes the socket, which interrupts the one in progress.</summary>
    private void RunUdpReceive()
    {
        byte[] buffer = new byte[ReceiveBufferBytes];
        var anySource = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            int length;
            EndPoint source = anySource;
            try
            {
                length = udp.ReceiveFrom(buffer, SocketFlags.None, ref source);
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                Counters.Increment(MembershipCounter.DroppedMalformed); // larger than any message of ours
                continue;
            }
            catch (SocketException e)
            {
                // Linux reports no ICMP errors on an unconnected socket; whatever this is, pause a
                // little so a persistent error cannot spin the thread, and go on.
                Counters.Increment(MembershipCounter.SocketErrors);
                note($"membership: UDP receive failed: {e.SocketErrorCode}");
                stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(10));
                continue;
            }

            var from = (IPEndPoint)source;
            from = new IPEndPoint(MessageCodec.Normalize(from.Address), from.Port);
            if (Dropped(from, ProbeChannel.Udp))
            {
                continue;
            }

            if (length > MembershipOptions.MaxMessageBytes)
            {
                Counters.Increment(MembershipCounter.DroppedMalformed);
                continue;
            }

            if (!TryEnqueue(new Inbound(buffer.AsSpan(0, length).ToArray(), from, ProbeChannel.Udp, null)))
            {
                Counters.Increment(MembershipCounter.DroppedQueueFull);
            }
        }
    }

    /// <summary>A datagram send does not wait for the peer; it can only wait for room in our own socket buffer.</summary>
    private void SendUdp(Outgoing outgoing)
    {
        if (Dropped(outgoing.To, ProbeChannel.Udp))
        {
            return;
        }

        try
        {
            udp.SendTo(outgoing.Message, SocketFlags.None, outgoing.To);
            Counters.Increment(MembershipCounter.Sent);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ArgumentException)
        {
            // Unreachable network, an address of the other family, a socket closed by shutdown: the
            // probe simply goes unanswered, which is what the protocol is built to handle.
            if (!stopping.IsCancellationRequested)
            {
                Counters.Increment(MembershipCounter.SocketErrors);
            }
        }
    }
}
