namespace Backbone.Chaos.Checkers;

/// <summary>
/// Interns one key's values as small ints (0 is null, "absent"), so that the model state of the
/// search is an int: compared and hashed in O(1) however long the values are.
/// </summary>
internal sealed class ValueTable
{
    public const int Absent = 0;

    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);
    private readonly List<string?> values = [null];

    public int Intern(string? value)
    {
        if (value is null)
        {
            return Absent;
        }

        if (!ids.TryGetValue(value, out int id))
        {
            id = values.Count;
            ids.Add(value, id);
            values.Add(value);
        }

        return id;
    }

    public string? ValueOf(int id) => values[id];
}
