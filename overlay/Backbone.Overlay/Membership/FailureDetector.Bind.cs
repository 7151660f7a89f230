using System.Net;
using System.Net.Sockets;

namespace Backbone.Overlay.Membership;

/// <summary>Binding UDP and TCP to one port.</summary>
public sealed partial class FailureDetector
{
    /// <summary>With port 0 the UDP port the kernel picks may be taken for TCP: try another, this many times.</summary>
    private const int BindAttempts = 16;

    private static (Socket Udp, Socket Listener) Bind(MembershipOptions options)
    {
        for (int attempt = 1; ; attempt++)
        {
            Socket udp = NewSocket(options.BindAddress, SocketType.Dgram, ProtocolType.Udp);
            Socket? listener = null;
            try
            {
                udp.Bind(new IPEndPoint(options.BindAddress, options.Port));
                int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
                listener = NewSocket(options.BindAddress, SocketType.Stream, ProtocolType.Tcp);
                if (!OperatingSystem.IsWindows())
                {
                    // Lets a restarted agent listen again while connections of its predecessor sit in
                    // TIME_WAIT. (On Windows the option would let another process take the port.)
                    listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                }

                listener.Bind(new IPEndPoint(options.BindAddress, port));
                listener.Listen(options.MaxTcpConnections);
                return (udp, listener);
            }
            catch (SocketException e) when (options.Port == 0 && e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < BindAttempts)
            {
                udp.Dispose();
                listener?.Dispose();
            }
            catch
            {
                udp.Dispose();
                listener?.Dispose();
                throw;
            }
        }
    }

    private static Socket NewSocket(IPAddress bindAddress, SocketType type, ProtocolType protocol)
    {
        var socket = new Socket(bindAddress.AddressFamily, type, protocol);
        if (bindAddress.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true; // one socket for IPv4 and IPv6 members
        }

        return socket;
    }
}
