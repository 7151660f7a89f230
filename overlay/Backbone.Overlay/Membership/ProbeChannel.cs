namespace Backbone.Overlay.Membership;

/// <summary>Which transport a message used: datagrams for probing, TCP for the fallback ping.</summary>
public enum ProbeChannel
{
    Udp = 0,
    Tcp = 1,
}
