namespace Backbone.Dns.Names;

/// <summary>The query types the name table tells apart; the values are the wire codes (RFC 1035, 3596, 2782).</summary>
public enum RecordType : ushort
{
    A = 1,
    Ptr = 12,
    Aaaa = 28,
    Srv = 33,
    Any = 255,
}
