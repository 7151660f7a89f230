using Backbone.Control.Services;

namespace Backbone.Control.Tests.Services;

public sealed class ServiceSpecTests
{
    [Theory]
    [InlineData("8080", "8080", 8080, "tcp")]
    [InlineData("8080/tcp", "8080", 8080, "tcp")]
    [InlineData("53/UDP", "53", 53, "udp")]
    [InlineData("name=http,target=8080,protocol=tcp", "http", 8080, "tcp")]
    [InlineData("target=5353, name=dns ,protocol=udp", "dns", 5353, "udp")]
    public void PublishedPortsParse(string text, string name, int target, string protocol)
    {
        PublishedPort port = PublishedPort.Parse(text);
        Assert.Equal((name, target, protocol), (port.Name, port.Target, port.Protocol));
    }

    [Theory]
    [InlineData("0/tcp", "is not a port: write TARGET[/tcp|/udp]")]
    [InlineData("70000", "is not a port")]
    [InlineData("http", "is not a port")]
    [InlineData("8080/sctp", "protocol \"sctp\" is neither tcp nor udp")]
    [InlineData("name=h_t,target=80", "the port name \"h_t\" must be 1-15 letters, digits or '-'")]
    [InlineData("port=80", "unknown field \"port\"")]
    public void BadPortsAreRefusedWithTheReason(string text, string reason)
    {
        ControlException e = Assert.Throws<ControlException>(() => PublishedPort.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web.1", 1, "vip", "any", "not a valid service name")]
    [InlineData("web", -1, "vip", "any", "--replicas -1 is out of range")]
    [InlineData("web", 1, "round-robin", "any", "--endpoint-mode \"round-robin\"")]
    [InlineData("web", 1, "vip", "always", "--restart-condition \"always\"")]
    public void BadSpecsAreRefusedWithTheReason(string name, int replicas, string mode, string restart, string reason)
    {
        ControlException e = Assert.Throws<ControlException>(() => ServicePlanner.Check(new ServiceSpec
        {
            Name = name, Replicas = replicas, EndpointMode = mode, RestartCondition = restart, Command = ["sleep", "1"],
        }));
        Assert.Equal(ControlError.InvalidArgument, e.Error);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandsAliasesConstraintsAndNetworksAreChecked()
    {
        Assert.Contains("no command", Refused(new ServiceSpec { Name = "web" }));
        Assert.Contains("--alias \"a_b\"", Refused(new ServiceSpec { Name = "web", Command = ["x"], Aliases = ["a_b"] }));
        Assert.Contains("only node.name==NAME", Refused(new ServiceSpec { Name = "web", Command = ["x"], Constraints = ["node.role==manager"] }));
        Assert.Contains("--network n is given twice", Refused(new ServiceSpec { Name = "web", Command = ["x"], Networks = ["n", "n"] }));
        ServicePlanner.Check(new ServiceSpec { Name = "web", Command = ["x"], Aliases = ["api"], Constraints = ["node.name==h1", "node.name!=h2"], Networks = ["a", "b"] });
    }

    private static string Refused(ServiceSpec spec) => Assert.Throws<ControlException>(() => ServicePlanner.Check(spec)).Message;
}
