namespace Backbone.Overlay.Netlink.Tests.Fakes;

/// <summary>A request as <see cref="Requests.Parse{T}"/> took it apart.</summary>
internal sealed record SentRequest<T>(ushort Type, ushort Flags, T Fixed, Dictionary<ushort, byte[]> Attributes)
    where T : unmanaged;
