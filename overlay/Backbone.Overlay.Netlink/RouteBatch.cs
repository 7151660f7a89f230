using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// FDB and neighbour changes gathered and sent together (<see cref="RouteNetlink.Batch"/>): the
/// requests of <see cref="RouteNetlink"/>'s methods of the same names, sent several to a datagram
/// with one ack each, so that programming a hundred remote containers costs a few system calls
/// rather than hundreds of round trips. Each change succeeds or fails on its own; deletes of what
/// is not there are not failures, as with the single calls.
/// </summary>
public sealed class RouteBatch
{
    private readonly NetlinkSocket _socket;
    private readonly List<NetlinkRequest> _requests = [];

    internal RouteBatch(NetlinkSocket socket) => _socket = socket;

    /// <summary>Changes gathered and not yet committed.</summary>
    public int Count => _requests.Count;

    /// <summary>As <see cref="RouteNetlink.ReplaceFdb"/>.</summary>
    public RouteBatch ReplaceFdb(int linkIndex, PhysicalAddress mac, IPAddress remote) => Add(new(
        RouteNetlink.NewFdbRequest(linkIndex, mac, remote, Rtnl.Flags.Create | Rtnl.Flags.Replace),
        "replace fdb entry", RouteNetlink.FdbTarget(linkIndex, mac, remote), Hint: RouteNetlink.ReplaceFdbHint));

    /// <summary>As <see cref="RouteNetlink.DeleteFdb"/>: an entry already gone is no failure.</summary>
    public RouteBatch DeleteFdb(int linkIndex, PhysicalAddress mac, IPAddress? remote = null) => Add(new(
        RouteNetlink.DeleteFdbRequest(linkIndex, mac, remote), "delete fdb entry", RouteNetlink.DeleteFdbTarget(linkIndex, mac, remote), Tolerated: Errno.ENOENT));

    /// <summary>As <see cref="RouteNetlink.ReplaceNeighbour"/>.</summary>
    public RouteBatch ReplaceNeighbour(int linkIndex, IPAddress address, PhysicalAddress mac) => Add(new(
        RouteNetlink.NewNeighbourRequest(linkIndex, address, mac, Rtnl.Flags.Create | Rtnl.Flags.Replace),
        "replace neighbour", RouteNetlink.NeighbourTarget(linkIndex, address, mac)));

    /// <summary>As <see cref="RouteNetlink.DeleteNeighbour"/>: an entry already gone is no failure.</summary>
    public RouteBatch DeleteNeighbour(int linkIndex, IPAddress address) => Add(new(
        RouteNetlink.DeleteNeighbourRequest(linkIndex, address), "delete neighbour", $"{address} on link {linkIndex}", Tolerated: Errno.ENOENT));

    /// <summary>Sends what was gathered, in order, and empties the batch.</summary>
    /// <returns>The changes the kernel refused, in order; empty when all were made.</returns>
    /// <exception cref="NetlinkException">The kernel did not answer (ETIMEDOUT) or the send failed: some changes may be made, others not.</exception>
    public IReadOnlyList<NetlinkException> Commit()
    {
        try
        {
            return _socket.ExecuteAll(_requests);
        }
        finally
        {
            _requests.Clear();
        }
    }

    private RouteBatch Add(NetlinkRequest request)
    {
        _requests.Add(request);
        return this;
    }
}
