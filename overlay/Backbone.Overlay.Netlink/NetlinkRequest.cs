using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// One change request of a batch (<see cref="NetlinkSocket.ExecuteAll"/>), with what its refusal
/// is called: the operation and object for the exception's text, an errno that is not a refusal
/// (ENOENT for a delete: already gone), and the hint for an errno particular to it.
/// </summary>
internal sealed record NetlinkRequest(NetlinkMessageBuilder Message, string Operation, string Target, int Tolerated = 0, Func<int, string?>? Hint = null);
