using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>
/// One test's kernel objects, all named <see cref="TestRun.Prefix"/> + the test's tag + a
/// suffix, and removed on <see cref="Dispose"/> even when the test fails: links it made in the
/// host namespace first, then its namespaces (which takes their links with them).
/// </summary>
internal sealed class Scratch : IDisposable
{
    private readonly string _tag;
    private readonly ITestOutputHelper _output;
    private readonly List<string> _namespaces = [];
    private readonly List<string> _hostLinks = [];

    public Scratch(string tag, ITestOutputHelper output)
    {
        _tag = tag;
        _output = output;
        _output.WriteLine($"run prefix {TestRun.Prefix}");
    }

    /// <summary>A link name (at most 15 characters), not yet created.</summary>
    public string Link(string suffix)
    {
        string name = TestRun.Prefix + _tag + suffix;
        Assert.True(name.Length <= 15, $"{name} is longer than a link name may be");
        return name;
    }

    /// <summary>Creates a namespace and registers it for deletion.</summary>
    public string Namespace(string suffix)
    {
        string name = TestRun.Prefix + _tag + suffix;
        _namespaces.Add(name);
        NetworkNamespace.Create(name);
        return name;
    }

    /// <summary>Registers a link that the test is about to create in the host namespace.</summary>
    public string HostLink(string suffix)
    {
        string name = Link(suffix);
        _hostLinks.Add(name);
        return name;
    }

    public void Dispose()
    {
        if (_hostLinks.Count > 0)
        {
            using RouteNetlink host = RouteNetlink.Open();
            foreach (string name in _hostLinks)
            {
                Try(() =>
                {
                    if (host.FindLink(name) is Link link)
                    {
                        host.DeleteLink(link.Index);
                    }
                });
            }
        }

        foreach (string name in _namespaces)
        {
            Try(() => NetworkNamespace.Delete(name));
        }
    }

    private void Try(Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (Exception e)
        {
            _output.WriteLine($"cleanup failed: {e.Message}");
        }
    }
}
