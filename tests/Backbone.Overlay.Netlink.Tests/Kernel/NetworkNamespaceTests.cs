using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

public sealed class NetworkNamespaceTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void CreatesListsFindsAndDeletesANamespaceThatIpSees()
    {
        Root.Require();
        using Scratch scratch = new("n", output);

        string name = scratch.Namespace("a");

        Assert.True(NetworkNamespace.Exists(name));
        Assert.Contains(name, NetworkNamespace.List());
        Assert.Contains(name, Tool.Run("ip", "netns", "list"));
        Assert.Equal(["lo"], Tool.IpJson(name, "link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));

        NetworkNamespace.Delete(name);

        Assert.False(NetworkNamespace.Exists(name));
        Assert.DoesNotContain(name, NetworkNamespace.List());
        Assert.DoesNotContain(name, Tool.Run("ip", "netns", "list"));
        NetworkNamespace.Delete(name); // absent: nothing to do
    }

    [SkippableFact]
    public void CreatingAnExistingNamespaceSaysSoAndLeavesItAlone()
    {
        Root.Require();
        using Scratch scratch = new("e", output);
        string name = scratch.Namespace("a");

        NetlinkException e = Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(name));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal($"netns: create {name}: File exists (EEXIST); hint: network namespace {name} already exists", e.Message);
        Assert.Contains("lo", Tool.Run("ip", "-n", name, "link", "show"));
    }

    [Fact]
    public void OpeningAMissingNamespaceIsENOENT()
    {
        string name = TestRun.Prefix + "missing";

        NetlinkException e = Assert.Throws<NetlinkException>(() => NetworkNamespace.Open(name).Dispose());

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains($"no network namespace {name}", e.Message, StringComparison.Ordinal);
        Assert.False(NetworkNamespace.Exists(name));
    }

    [SkippableFact]
    public void RunEntersTheNamespaceOnAFreshThreadAndLeavesTheCallerOutside()
    {
        Root.Require();
        using Scratch scratch = new("r", output);
        string name = scratch.Namespace("a");
        string callerNamespace = CurrentThreadNamespace();
        int callerThread = Environment.CurrentManagedThreadId;

        (int thread, string inside, List<string> links) = NetworkNamespace.Run(name, () =>
        {
            using RouteNetlink netlink = RouteNetlink.Open();
            return (Environment.CurrentManagedThreadId, CurrentThreadNamespace(), netlink.GetLinks().Select(l => l.Name).ToList());
        });

        Assert.NotEqual(callerThread, thread);
        Assert.NotEqual(callerNamespace, inside);
        Assert.Equal(["lo"], links);
        Assert.Equal(callerNamespace, CurrentThreadNamespace());
    }

    [SkippableFact]
    public void RunRethrowsTheActionsException()
    {
        Root.Require();
        using Scratch scratch = new("x", output);
        string name = scratch.Namespace("a");

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
            NetworkNamespace.Run<int>(name, () => throw new InvalidOperationException("from inside")));

        Assert.Equal("from inside", e.Message);
        Assert.Contains(nameof(RunRethrowsTheActionsException), e.StackTrace, StringComparison.Ordinal); // the original stack survives
    }

    /// <summary>The nsfs identity ("net:[4026532...]") of the calling thread's network namespace.</summary>
    private static string CurrentThreadNamespace() => new FileInfo("/proc/thread-self/ns/net").LinkTarget!;
}
