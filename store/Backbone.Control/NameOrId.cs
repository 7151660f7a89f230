namespace Backbone.Control;

/// <summary>
/// How every control object is found from what an operator types (as Docker finds them): its
/// exact name or id first, then the one id that starts with it; several such ids is an error
/// asking for more of it.
/// </summary>
public static class NameOrId
{
    /// <summary>The match, or null when nothing matches; <paramref name="kind"/> names the objects in the error ("service", "network").</summary>
    public static T? Find<T>(IEnumerable<T> all, string nameOrId, Func<T, string> name, Func<T, string> id, string kind)
        where T : class
    {
        List<T> items = [.. all];
        if (items.FirstOrDefault(i => name(i) == nameOrId || id(i) == nameOrId) is { } exact)
        {
            return exact;
        }

        List<T> byPrefix = nameOrId.Length == 0 ? [] : [.. items.Where(i => id(i).StartsWith(nameOrId, StringComparison.Ordinal))];
        return byPrefix.Count switch
        {
            0 => null,
            1 => byPrefix[0],
            _ => throw new ControlException(ControlError.InvalidArgument,
                $"\"{nameOrId}\" is the start of {byPrefix.Count} {kind} ids ({string.Join(", ", byPrefix.Select(name))}): give more of the id or the name"),
        };
    }
}
