namespace Backbone.Control.Nodes;

/// <summary>
/// Which nodes are down, from every node's reach report: a node is down when more than half of
/// all reporters (itself among them, never against itself) cannot reach it. A dead node is down
/// as soon as most of the living have noticed, even while its last report lingers until its lease
/// runs out; one isolated node cannot take the others down (it is one voice against each); and a
/// split with no majority takes nobody down (a two-node cluster waits for the dead one's lease).
/// </summary>
public static class DownNodes
{
    public static IReadOnlySet<string> From(IEnumerable<ReachRecord> reports)
    {
        List<ReachRecord> all = [.. reports];
        var down = new HashSet<string>(StringComparer.Ordinal);
        foreach (string candidate in all.SelectMany(r => r.Unreachable).Distinct(StringComparer.Ordinal))
        {
            int against = all.Count(r => r.ReporterId != candidate && r.Unreachable.Contains(candidate, StringComparer.Ordinal));
            if (against * 2 > all.Count)
            {
                down.Add(candidate);
            }
        }

        return down;
    }
}
