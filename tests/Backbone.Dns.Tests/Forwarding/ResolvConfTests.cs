using System.Net;
using Backbone.Dns.Forwarding;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>Reading upstreams from a resolv.conf (a temporary file; never the machine's own).</summary>
public sealed class ResolvConfTests : IDisposable
{
    private readonly string path = Path.Combine(Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");

    public void Dispose() => File.Delete(path);

    [Fact]
    public void NameserversAreReadOnPort53AndOurOwnAddressIsSkipped()
    {
        File.WriteAllLines(path,
        [
            "# generated",
            "search example.com",
            "nameserver 192.0.2.53",
            "nameserver\t2001:db8::53",
            "nameserver fe80::1%eth0",
            "nameserver 127.0.0.11",
            "nameserver not-an-address",
            "options ndots:0",
        ]);

        Assert.Equal(
            [new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), new IPEndPoint(IPAddress.Parse("2001:db8::53"), 53), new IPEndPoint(IPAddress.Parse("fe80::1"), 53)],
            ResolvConf.Nameservers(path));
    }

    [Fact]
    public void AMissingFileMeansNoUpstreams()
    {
        Assert.Empty(ResolvConf.Nameservers(path));
    }
}
