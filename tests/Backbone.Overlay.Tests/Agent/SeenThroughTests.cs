using Backbone.Overlay.Agent;

namespace Backbone.Overlay.Tests.Agent;

/// <summary>Which change notices the agent may ignore: only the echo of its own writes that directly follow its read.</summary>
public sealed class SeenThroughTests
{
    [Theory]
    [InlineData(40, new long[0], 40)] // wrote nothing: what it read
    [InlineData(40, new long[] { 41 }, 41)] // its own write right after its read
    [InlineData(40, new long[] { 41, 42, 43 }, 43)] // several Txns, none of anyone else between
    [InlineData(40, new long[] { 42 }, 40)] // someone wrote revision 41 between: a notice for 41 or 42 must wake it
    [InlineData(40, new long[] { 41, 43 }, 40)] // someone wrote between its own Txns
    public void OnlyAnUnbrokenRunOfItsOwnWritesCounts(long read, long[] writes, long expected) =>
        Assert.Equal(expected, HostAgent.SeenThrough(read, writes));
}
