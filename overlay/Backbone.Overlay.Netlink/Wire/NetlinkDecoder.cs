namespace Backbone.Overlay.Netlink.Wire;

/// <summary>Turns one reply message into a value, or returns false to skip it (another family, another table).</summary>
internal delegate bool NetlinkDecoder<T>(in NetlinkMessage message, out T value);
