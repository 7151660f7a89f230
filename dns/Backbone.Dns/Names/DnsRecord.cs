namespace Backbone.Dns.Names;

/// <summary>
/// One resource record of an answer, in text form; the wire layer encodes it.
/// </summary>
/// <param name="Name">The owner name: fully qualified, lower-case, with the trailing dot (<c>web.</c>, <c>tasks.web.</c>, <c>2.9.0.10.in-addr.arpa.</c>).</param>
/// <param name="Type">A, PTR or SRV today (AAAA once endpoints carry IPv6 addresses).</param>
/// <param name="Ttl">Seconds, from <see cref="NameTableOptions.Ttl"/>.</param>
/// <param name="Data">A: dotted IPv4; AAAA: IPv6 text; PTR and SRV: the target name with its trailing dot.</param>
/// <param name="Priority">SRV only.</param>
/// <param name="Weight">SRV only.</param>
/// <param name="Port">SRV only: the container port (the published port's target).</param>
public sealed record DnsRecord(string Name, RecordType Type, uint Ttl, string Data, ushort Priority = 0, ushort Weight = 0, ushort Port = 0);
