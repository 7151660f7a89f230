using System.Net;
using System.Net.Sockets;

namespace Backbone.Server.Tests.Support;

/// <summary>Picks loopback ports nobody listens on (the kernel's choice for port 0, then released).</summary>
public static class FreePort
{
    public static int Next()
    {
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
