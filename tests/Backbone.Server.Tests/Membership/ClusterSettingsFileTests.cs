using Backbone.Server.Cluster;

namespace Backbone.Server.Tests.Membership;

/// <summary>
/// cluster.json is edited by several tasks of a running node (the members it keeps, role
/// changes) while <c>swarm leave</c> may rename it: a late edit must not bring it back, or the
/// node that left would start again as a member.
/// </summary>
public sealed class ClusterSettingsFileTests : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("bbsettings-").FullName;

    public void Dispose() => Directory.Delete(dataDir, recursive: true);

    [Fact]
    public void AnEditAfterLeavingDoesNotBringTheSettingsBack()
    {
        var settings = new ClusterSettings { PeerAddress = "127.0.0.1:2377", ListenPeer = "127.0.0.1:2377", ListenClient = "127.0.0.1:2379", ClientUrl = "http://127.0.0.1:2379" };
        settings.Save(dataDir);
        Assert.NotNull(ClusterSettings.Update(dataDir, s => s with { KnownMembers = ["http://127.0.0.1:2479"] }));
        Assert.Equal(["http://127.0.0.1:2479"], ClusterSettings.Load(dataDir)!.KnownMembers);

        LeftCluster.Mark(dataDir);
        Assert.Null(ClusterSettings.Update(dataDir, s => s with { KnownMembers = ["http://127.0.0.1:2579"] }));
        Assert.False(File.Exists(ClusterSettings.PathIn(dataDir)), "a late edit recreated cluster.json after the node left");
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => LeftCluster.Guard(dataDir, initOrJoin: false));
        Assert.Contains("left its cluster", refused.Message, StringComparison.Ordinal);

        // Joining again moves the old state aside, and nothing of it is lost.
        Assert.Contains("moved the state", LeftCluster.Guard(dataDir, initOrJoin: true), StringComparison.Ordinal);
        string archive = Assert.Single(Directory.GetDirectories(dataDir, "left-*"));
        Assert.True(File.Exists(Path.Combine(archive, "left-cluster.json")));
    }
}
