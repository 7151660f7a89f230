using System.Net;
using System.Net.Sockets;

namespace Backbone.Server.Tests.Support;

/// <summary>
/// Picks loopback ports nobody listens on, for the nodes a test starts. They come from below the
/// kernel's ephemeral range (<c>ip_local_port_range</c>): every outgoing connection takes its
/// source port from that range, so a port picked there (the kernel's choice for port 0, as this
/// used to do) could be taken by some connection between the pick and the node's bind, or while
/// a test has a member stopped, and the node then failed with "address already in use" (seen
/// once in CI). Each port is handed out once per test run.
/// </summary>
public static class FreePort
{
    /// <summary>The lowest port to pick from: clear of the well-known and registered services a machine usually runs.</summary>
    private const int Lowest = 20000;

    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    private static readonly int Highest = EphemeralLow() - 1;

    public static int Next()
    {
        if (Highest - Lowest < 1000)
        {
            return KernelPick(); // an unusual ephemeral range leaves no room below it
        }

        lock (Gate)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                int port = Random.Shared.Next(Lowest, Highest + 1);
                if (!Given.Contains(port) && IsFree(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free loopback port between {Lowest} and {Highest} after 1,000 tries");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int KernelPick()
    {
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The low end of the kernel's ephemeral port range (Linux's default when it cannot be read).</summary>
    private static int EphemeralLow()
    {
        const int LinuxDefault = 32768;
        string text;
        try
        {
            text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return LinuxDefault;
        }

        string[] range = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return range.Length > 0 && int.TryParse(range[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int low)
            ? low
            : LinuxDefault;
    }
}
