using System.Net.Sockets;
using System.Runtime.InteropServices;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket. It lives in the network namespace of the thread that opened it,
/// whichever thread uses it afterwards.
/// </summary>
internal sealed class KernelNetlinkTransport : INetlinkTransport
{
    /// <summary>SO_RCVBUF asked for; the kernel caps it at net.core.rmem_max. Dumps are paced by our reads, so this is headroom, not a requirement.</summary>
    public const int SocketReceiveBufferBytes = 1024 * 1024;

    /// <summary>How long one receive waits for the kernel; rtnetlink answers in micro- to milliseconds.</summary>
    public const int ReceiveTimeoutMs = 10_000;

    private readonly Socket _socket;

    private KernelNetlinkTransport(Socket socket) => _socket = socket;

    /// <exception cref="NetlinkException">socket(2) or bind(2) failed.</exception>
    public static KernelNetlinkTransport Open()
    {
        int fd = LibC.Socket(Rtnl.AfNetlink, LibC.SockRaw | LibC.SockCloexec, Rtnl.NetlinkRoute);
        if (fd < 0)
        {
            throw new NetlinkException("open", "NETLINK_ROUTE socket", Marshal.GetLastPInvokeError());
        }

        // Owned from here on: any failure below closes the fd through the handle.
        SafeSocketHandle handle = new(fd, ownsHandle: true);
        try
        {
            LibC.SockaddrNetlink address = new() { Family = Rtnl.AfNetlink }; // port 0: the kernel picks a unique one
            if (LibC.Bind(handle.DangerousGetHandle(), address, Marshal.SizeOf<LibC.SockaddrNetlink>()) != 0)
            {
                throw new NetlinkException("bind", "NETLINK_ROUTE socket", Marshal.GetLastPInvokeError());
            }

            // The managed Socket(AddressFamily 16) constructor rejects netlink; wrapping the fd works.
            Socket socket = new(handle)
            {
                ReceiveBufferSize = SocketReceiveBufferBytes,
                ReceiveTimeout = ReceiveTimeoutMs,
            };
            TrySetOption(socket, Rtnl.SocketOption.ExtAck); // the kernel's reason text in errors
            TrySetOption(socket, Rtnl.SocketOption.CapAck); // acks echo only the request header
            return new KernelNetlinkTransport(socket);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        int sent;
        try
        {
            sent = _socket.Send(datagram);
        }
        catch (SocketException e)
        {
            throw new NetlinkException("send", "netlink request", e.NativeErrorCode); // NativeErrorCode is the errno on Linux
        }

        if (sent != datagram.Length)
        {
            throw new InvalidOperationException($"netlink: sent {sent} of {datagram.Length} bytes; a datagram is all or nothing");
        }
    }

    public int Receive(Span<byte> buffer)
    {
        try
        {
            return _socket.Receive(buffer);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new TimeoutException($"no netlink answer within {ReceiveTimeoutMs} ms", e);
        }
        catch (SocketException e)
        {
            throw new NetlinkException("receive", "netlink answer", e.NativeErrorCode);
        }
    }

    public void Dispose() => _socket.Dispose();

    private static void TrySetOption(Socket socket, int option)
    {
        try
        {
            socket.SetRawSocketOption(Rtnl.SocketOption.SolNetlink, option, BitConverter.GetBytes(1));
        }
        catch (SocketException)
        {
            // Older kernels lack the option; errors then come without the kernel's text, which is all we lose.
        }
    }
}
