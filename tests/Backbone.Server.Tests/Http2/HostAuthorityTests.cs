using System.Reflection;
using System.Text;
using Backbone.Server.Http2;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Backbone.Server.Tests.Http2;

public sealed class HostAuthorityTests
{
    public static TheoryData<string> Values =>
    [
        "", "127.0.0.1:23791", "localhost", "example.com:2379", "[::1]", "[::1]:2379", "a-b_c~d!$&'()",
        "http://127.0.0.1:23791", "https://example.com", "#initially=[https://example.com:2379]",
        ":2379", "host:", "host:12a", "[::1", "[::1]x", "[:]", "[fe80::g]", "host/path", "a b", "user@host", "h\u00e9te",
    ];

    /// <summary>Kestrel's own check, found by name: if Kestrel moves or renames it, this test says so.</summary>
    private static readonly MethodInfo KestrelIsHostHeaderValid = typeof(KestrelServerOptions).Assembly.GetTypes()
        .Where(t => t.Name == "HttpUtilities")
        .Select(t => t.GetMethod("IsHostHeaderValid", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(string)]))
        .Single(m => m is not null)!;

    [Theory]
    [MemberData(nameof(Values))]
    public void AgreesWithKestrel(string value)
    {
        bool kestrel = (bool)KestrelIsHostHeaderValid.Invoke(null, [value])!;
        Assert.Equal(kestrel, HostAuthority.IsValid(Encoding.Latin1.GetBytes(value)));
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void RepairsToWhatKestrelTakesAndNeverGrows(string value)
    {
        byte[] original = Encoding.Latin1.GetBytes(value);
        byte[] repaired = HostAuthority.Repair(original);
        Assert.True((bool)KestrelIsHostHeaderValid.Invoke(null, [Encoding.Latin1.GetString(repaired)])!, Encoding.Latin1.GetString(repaired));
        Assert.True(repaired.Length <= original.Length);
    }

    [Theory]
    [InlineData("http://127.0.0.1:23791", "127.0.0.1:23791")]
    [InlineData("https://user:secret@example.com:2379/path", "example.com:2379")]
    [InlineData("#initially=[https://example.com:2379]", "example.com:2379")]
    [InlineData("#initially=[http://a:1;http://b:2]", "a:1")]
    [InlineData("http://[::1]:2379", "[::1]:2379")]
    [InlineData("unix:///var/run/etcd.sock", "")]
    [InlineData("%%%", "")]
    public void RepairKeepsTheHostAndPortOfTheFirstUrl(string value, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(HostAuthority.Repair(Encoding.ASCII.GetBytes(value))));
    }
}
