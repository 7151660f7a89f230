namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// SWIM's round-robin over a randomly permuted member list: each period takes the next few ids
/// from a cursor, wrapping around, so every member is probed once per pass. The permutation is
/// made by inserting each member at a random position, and kept between passes (memberlist
/// reshuffles after every pass; a reshuffle can put a member last right after it was first,
/// doubling the worst-case gap between its probes, which the 3-second bound cannot afford).
/// Different members shuffle with different seeds, so their probes still spread over the cluster.
/// </summary>
internal sealed class ProbeOrder(Random random)
{
    private readonly List<string> order = [];

    /// <summary>The index of the next id to probe; always within the list (or 0 when it is empty).</summary>
    private int cursor;

    public int Count => order.Count;

    /// <summary>How many members each period probes so that one pass takes at most <paramref name="sweepPeriods"/> periods.</summary>
    public static int PerPeriod(int members, int sweepPeriods) => (members + sweepPeriods - 1) / sweepPeriods;

    /// <summary>Inserts <paramref name="nodeId"/> at a random position; the cursor keeps pointing at the same next id.</summary>
    public void Add(string nodeId)
    {
        int at = random.Next(order.Count + 1);
        order.Insert(at, nodeId);
        if (at <= cursor && order.Count > 1)
        {
            cursor++; // what was next moved up one place
        }
    }

    public void Remove(string nodeId)
    {
        int at = order.IndexOf(nodeId);
        if (at < 0)
        {
            return;
        }

        order.RemoveAt(at);
        if (at < cursor)
        {
            cursor--;
        }

        if (cursor >= order.Count)
        {
            cursor = 0;
        }
    }

    /// <summary>Appends the next <paramref name="count"/> ids (at most all of them, each once) and moves the cursor past them.</summary>
    public void TakeNext(int count, List<string> into)
    {
        count = Math.Min(count, order.Count);
        for (int i = 0; i < count; i++)
        {
            into.Add(order[cursor]);
            cursor = (cursor + 1) % order.Count;
        }
    }
}
