namespace Backbone.Overlay.Netlink;

/// <summary>
/// Datagram I/O under <see cref="NetlinkSocket"/>: the kernel socket in production
/// (<see cref="KernelNetlinkTransport"/>), a scripted fake in tests, so the exchange rules
/// (sequence matching, multipart dumps, interrupted dumps) are tested without root.
/// </summary>
internal interface INetlinkTransport : IDisposable
{
    /// <summary>Sends one whole message as one datagram.</summary>
    /// <exception cref="NetlinkException">The send failed.</exception>
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>Blocks for the next datagram and returns its length; <paramref name="buffer"/> is the caller's and is overwritten.</summary>
    /// <exception cref="TimeoutException">Nothing arrived within the transport's timeout.</exception>
    /// <exception cref="NetlinkException">The receive failed.</exception>
    int Receive(Span<byte> buffer);
}
