using System.Runtime.InteropServices;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// An rtnetlink client on one NETLINK_ROUTE socket: links (<c>RouteNetlink.Links.cs</c>),
/// addresses, routes and neighbours, each call one synchronous request answered by an ack or
/// a dump. Calls fail with <see cref="NetlinkException"/> carrying the kernel's errno; bad
/// arguments (a 16-byte link name) fail earlier with <see cref="ArgumentException"/>.
/// <para>
/// Not thread-safe: use one instance per thread, or serialize calls (a concurrent call throws
/// <see cref="InvalidOperationException"/>). The socket belongs to the network namespace it was
/// opened in and keeps that namespace alive until <see cref="Dispose"/>.
/// </para>
/// </summary>
public sealed partial class RouteNetlink : IDisposable
{
    private readonly NetlinkSocket _socket;

    /// <summary>Over any transport (tests use a scripted one); takes ownership of <paramref name="socket"/>.</summary>
    internal RouteNetlink(NetlinkSocket socket) => _socket = socket;

    /// <summary>A client for the calling thread's network namespace.</summary>
    public static RouteNetlink Open() => new(new NetlinkSocket(KernelNetlinkTransport.Open()));

    /// <summary>
    /// A client for namespace <paramref name="namespaceName"/>: the socket is created on a
    /// thread inside it (<see cref="NetworkNamespace.Run{T}"/>) and then serves from any thread.
    /// </summary>
    public static RouteNetlink OpenIn(string namespaceName) => NetworkNamespace.Run(namespaceName, Open);

    /// <summary>A batch of FDB and neighbour changes on this socket, sent by <see cref="RouteBatch.Commit"/>.</summary>
    public RouteBatch Batch() => new(_socket);

    public void Dispose() => _socket.Dispose();

    private static string LinkTarget(int index) => $"link {index}";

    /// <summary>
    /// Passes the fd of <paramref name="handle"/> to <paramref name="use"/> while keeping the
    /// handle from being closed meanwhile: the kernel reads the fd number from our request.
    /// </summary>
    private static void WithFd(SafeHandle? handle, Action<uint?> use)
    {
        if (handle is null)
        {
            use(null);
            return;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            use((uint)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static void CheckMtu(int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
    }

    private static NetlinkMessageBuilder SetLinkRequest(int index, uint flags = 0, uint change = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewLink);
        request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec, Index = index, Flags = flags, Change = change });
        return request;
    }
}
