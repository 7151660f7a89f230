using System.Net;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// A message the core wants sent. UDP: one datagram. TCP: connect, send it as a frame, read one
/// frame back (fed to the core like any received message), all within <see cref="Timeout"/>.
/// </summary>
internal readonly record struct Outgoing(IPEndPoint To, byte[] Message, ProbeChannel Channel, TimeSpan Timeout = default);
