namespace Backbone.Control.Tests;

public sealed class NameOrIdTests
{
    private static readonly (string Name, string Id)[] Items = [("web", "abc111"), ("db", "abc222"), ("abc", "zzz999")];

    private static (string Name, string Id)? Find(string text) =>
        NameOrId.Find(Items.Select(i => new Box(i)), text, b => b.Item.Name, b => b.Item.Id, "service")?.Item;

    [Fact]
    public void NameOrIdFirstThenAUniqueIdPrefix()
    {
        Assert.Equal(("abc", "zzz999"), Find("abc")); // a name wins over the ids it starts
        Assert.Equal(("db", "abc222"), Find("abc2"));
        Assert.Equal(("web", "abc111"), Find("abc111"));
        Assert.Null(Find("nosuch"));
        Assert.Null(Find(""));
        ControlException ambiguous = Assert.Throws<ControlException>(() => Find("ab"));
        Assert.Equal("\"ab\" is the start of 2 service ids (web, db): give more of the id or the name", ambiguous.Message);
    }

    private sealed record Box((string Name, string Id) Item);
}
