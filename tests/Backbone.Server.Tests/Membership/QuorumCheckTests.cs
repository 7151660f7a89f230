using Backbone.Server.Cluster;
using Grpc.Core;

namespace Backbone.Server.Tests.Membership;

/// <summary>node rm never takes a cluster below a reachable majority, and says why.</summary>
public sealed class QuorumCheckTests
{
    private static List<(ulong, string, bool)> Members(params bool[] reachable) =>
        [.. reachable.Select((up, i) => ((ulong)(i + 1), $"n{i + 1}", up))];

    [Fact]
    public void RemovingADownMemberOfThreeIsAllowed() => QuorumCheck.AfterRemoving(Members(true, true, false), removed: 3);

    [Fact]
    public void RemovingAHealthyMemberWhileAnotherIsDownIsRefusedNamingTheDownOne()
    {
        var e = Assert.Throws<RpcException>(() => QuorumCheck.AfterRemoving(Members(true, true, false), removed: 2));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("1 of 2 managers would be reachable", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("unreachable: n3", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLastMemberIsNeverRemoved()
    {
        var e = Assert.Throws<RpcException>(() => QuorumCheck.AfterRemoving(Members(true), removed: 1));

        Assert.Contains("last member", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void FiveWithTwoDownMayLoseAHealthyOneOnlyIfAMajorityStays()
    {
        QuorumCheck.AfterRemoving(Members(true, true, true, true, false), removed: 1); // 3 of 4 reachable
        Assert.Throws<RpcException>(() => QuorumCheck.AfterRemoving(Members(true, true, true, false, false), removed: 1)); // 2 of 4
    }
}
