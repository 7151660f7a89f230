using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Server.Tests.Control;

/// <summary>Encrypted networks' keys: rotated on demand, and by the leader once a ring is a rotation interval old (on a fake clock).</summary>
public sealed class KeyRotationTests
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task RotateKeysOnDemand()
    {
        await using TestNode node = await TestNode.StartAsync();
        await Backbone(node.Endpoint, "network", "create", "--opt", "encrypted", "secure");
        await Backbone(node.Endpoint, "network", "create", "plain");
        Assert.Equal(2, await PrimaryLamportTimeAsync(node, "secure"));

        Tool.Result rotated = await Backbone(node.Endpoint, "network", "rotate-keys", "secure");
        Assert.Equal("rotated the keys of secure: primary key at Lamport time 3\n", rotated.Stdout);
        Assert.Equal(3, await PrimaryLamportTimeAsync(node, "secure"));

        Tool.Result refused = await Backbone(node.Endpoint, "network", "rotate-keys", "plain");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("network \"plain\" is not encrypted: it has no keys to rotate", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLeaderRotatesKeysThatAreAnIntervalOld()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using TestNode node = await TestNode.StartAsync(time: clock);
        await Backbone(node.Endpoint, "network", "create", "--opt", "encrypted", "secure");

        clock.Advance(TimeSpan.FromHours(6)); // half the default 12 h: not due
        await Task.Delay(200);
        Assert.Equal(2, await PrimaryLamportTimeAsync(node, "secure"));

        // Past 12 h the leader's next check (each minute) rotates it; the check after that does not.
        clock.Advance(TimeSpan.FromHours(6) + TimeSpan.FromMinutes(2));
        await Poll.UntilAsync(async () => await PrimaryLamportTimeAsync(node, "secure") == 3, TimeSpan.FromSeconds(15), () => "the ring was not rotated after 12 h");
        clock.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(300);
        Assert.Equal(3, await PrimaryLamportTimeAsync(node, "secure"));
    }

    private static async Task<long> PrimaryLamportTimeAsync(TestNode node, string network)
    {
        Tool.Result inspect = await Backbone(node.Endpoint, "network", "inspect", network);
        return JsonDocument.Parse(inspect.Stdout).RootElement[0].GetProperty("PrimaryKeyLamportTime").GetInt64();
    }
}
