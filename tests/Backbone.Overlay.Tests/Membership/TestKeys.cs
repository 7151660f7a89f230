using Backbone.Overlay.Membership;

namespace Backbone.Overlay.Tests.Membership;

/// <summary>Keys derived as the integration will derive them: one cluster's, and another cluster's.</summary>
internal static class TestKeys
{
    public static readonly byte[] Cluster = MembershipKey.Derive("cluster secret of the tests");

    public static readonly byte[] Other = MembershipKey.Derive("some other cluster's secret");
}
