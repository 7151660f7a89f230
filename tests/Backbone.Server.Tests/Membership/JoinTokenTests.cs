using Backbone.Server.Cluster;

namespace Backbone.Server.Tests.Membership;

/// <summary>Join tokens: what parses, and errors that say what is wrong without echoing the secret.</summary>
public sealed class JoinTokenTests
{
    private static readonly string Digest = new('a', 64);

    [Fact]
    public void AFormattedTokenParsesBack()
    {
        var token = new JoinToken(Digest, JoinToken.NewSecret());

        Assert.Equal(token, JoinToken.Parse("  " + token + "\n"));
    }

    [Theory]
    [InlineData("SWMTKN-1-abc-def", "starts with BBTKN-1-")]
    [InlineData("BBTKN-1-abc-0123456789abcdefghijklmno", "64 hex digits")]
    [InlineData("BBTKN-1-aaaa", "64 hex digits")]
    public void MalformedTokensAreRefusedWithTheReason(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => JoinToken.Parse(text));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACutSecretIsReportedWithoutEchoingIt()
    {
        string secret = JoinToken.NewSecret()[..20];

        var e = Assert.Throws<FormatException>(() => JoinToken.Parse($"BBTKN-1-{Digest}-{secret}"));

        Assert.Contains("cut when copied", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
    }
}
