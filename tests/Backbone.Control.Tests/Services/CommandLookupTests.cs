using Backbone.Control.Services;

namespace Backbone.Control.Tests.Services;

public sealed class CommandLookupTests
{
    [Fact]
    public void FindsCommandsByPathOrOnPath()
    {
        Assert.Null(CommandLookup.Problem("/bin/sh"));
        Assert.Null(CommandLookup.Problem("sh", "/nonexistent:/bin"));
        Assert.Contains("is not found in any directory of this node's PATH (/nonexistent)", CommandLookup.Problem("sh", "/nonexistent"), StringComparison.Ordinal);
        Assert.Contains("does not exist on this node", CommandLookup.Problem("/no/such/program"), StringComparison.Ordinal);
        string plain = Path.GetTempFileName();
        try
        {
            Assert.Contains("is not executable", CommandLookup.Problem(plain), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(plain);
        }
    }
}
